// CloudFront Function (cloudfront-js-2.0), viewer-request event of the gallery distribution.
// S3 behind Origin Access Control serves no index documents, so directory URLs are mapped here:
//   /path/  -> /path/index.html        (rewritten, the browser keeps /path/)
//   /path   -> 301 to /path/           (when the last segment has no extension; keeps relative links right)
function handler(event) {
    var request = event.request;
    var uri = request.uri;
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
    return request;
}
