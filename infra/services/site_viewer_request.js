// CloudFront Function (cloudfront-js-2.0), viewer-request event of the gallery distribution.
// S3 behind Origin Access Control serves no index documents, so directory URLs are mapped here:
//   /path/  -> /path/index.html        (rewritten, the browser keeps /path/)
//   /path   -> 301 to /path/           (when the last segment has no extension; keeps relative links right)
// A URI starting with "//" (or "/\", which browsers read alike) would make that redirect's Location
// protocol-relative, i.e. another host ("//134744072/" is 8.8.8.8): such slashes are collapsed to one first.
function handler(event) {
    var request = event.request;
    var uri = request.uri.replace(/^[\/\\]+/, '/');
    if (uri.endsWith('/')) {
        request.uri = uri + 'index.html';
        return request;
    }
    var last = uri.substring(uri.lastIndexOf('/') + 1);
    if (last.indexOf('.') === -1) {
        return {
            statusCode: 301,
            statusDescription: 'Moved Permanently',
            headers: { location: { value: uri + '/' } },
        };
    }
    request.uri = uri;
    return request;
}
