"""Thin MkDocs hooks around the gallery pipeline (`mplat.gallery`), which knows nothing about MkDocs."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from . import __version__
from .config import GalleryConfig
from .gallery import app_page, pages, pwa, server_tier
from .gallery.app_page import ANALYTICS_SCRIPT, AppPageOptions, analytics_script
from .gallery.errors import GalleryError
from .gallery.messages import messages_script, text
from .gallery.offline import OfflineRequest, write_offline
from .gallery.pipeline import GalleryRequest, PreparedGallery, prepare, thumbnail_urls, write_site
from .gallery.site_headers import SitePolicy, response_headers, write_headers_file

log = logging.getLogger("mkdocs.plugins.mplat-gallery")

# The plugin's own CSS/JS (gallery behaviour), published at assets/mplat/ and added to every page.
STATIC_DIR = Path(__file__).parent / "gallery" / "static"
STATIC_URL = "assets/mplat"
# Under `mkdocs serve`, written when the background build has made what a quick build left out; watched,
# so the page reloads once more with the outputs computed at build time and fresh thumbnails.
REFRESHED_STAMP = "serve-refreshed"
REFRESH_STARTED = "gallery: making build-time outputs, thumbnails and server previews in the background…"
REFRESH_DONE = "gallery: background work done; reloading"
# The message table for the scripts above (generated: it depends on the `language` option); listed first.
MESSAGES_SCRIPT = f"{STATIC_URL}/messages.js"


class GalleryPlugin(BasePlugin[GalleryConfig]):
    def __init__(self) -> None:
        self.prepared: PreparedGallery | None = None
        self.command = "build"
        self._refresher: threading.Thread | None = None
        self._refresh_again = threading.Event()

    def load_config(self, options, config_file_path=None):  # type: ignore[no-untyped-def]
        # MkDocs only warns about unknown plugin options; a typo here must stop the build.
        errors, warnings = super().load_config(options, config_file_path)
        unknown = [(k, w) for k, w in warnings if "Unrecognised configuration name" in str(w)]
        errors.extend(unknown)
        return errors, [w for w in warnings if w not in unknown]

    def on_startup(self, *, command, dirty) -> None:  # type: ignore[no-untyped-def]
        # Defining on_startup keeps this plugin instance alive across `mkdocs serve` rebuilds.
        self.command = command

    # Before the search plugin's on_config, which reads its stemmer language from the theme's.
    @event_priority(50)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not self.config.enabled:
            return config
        # mkdocs-material's own texts (search, navigation, <html lang>) follow our language option.
        config.theme["language"] = self.config.language
        if MESSAGES_SCRIPT not in config.extra_javascript:
            config.extra_javascript.insert(0, MESSAGES_SCRIPT)  # the scripts below read it as they run
        for path in sorted(STATIC_DIR.iterdir()):
            url = f"{STATIC_URL}/{path.name}"
            if path.suffix == ".css" and url not in config.extra_css:
                config.extra_css.append(url)
            elif path.suffix == ".js" and url not in config.extra_javascript:
                config.extra_javascript.append(url)
        if self.config.analytics_domain and ANALYTICS_SCRIPT not in config.extra_javascript:
            config.extra_javascript.append(ANALYTICS_SCRIPT)
        self._site_policy()  # a bad origin stops the build before any work
        return config

    def _site_policy(self) -> SitePolicy:
        endpoint = self.config.analytics_endpoint if self.config.analytics_domain else ""
        try:
            return SitePolicy.of(self.config.embed_origins, endpoint)
        except GalleryError as exc:
            raise PluginError(f"mplat-gallery: {exc}") from exc

    def gallery_request(self, config: MkDocsConfig) -> GalleryRequest:
        root = Path(config.config_file_path).parent
        opts = self.config
        return GalleryRequest(
            notebooks_dir=Path(opts.notebooks_dir),
            cache_dir=root / opts.cache_dir,
            pyodide_dir=root / opts.pyodide_package,
            pyodide_dist_url=opts.pyodide_dist_url,
            mathjax_file=root / opts.mathjax_file,
            data_dir=Path(opts.data_dir) if opts.data_dir else None,
            source_dir=Path(opts.source_dir) if opts.source_dir else None,
            browser_libraries=tuple(opts.browser_libraries),
            concurrency=opts.concurrency,
            project_version=__version__,
            strict=opts.strict,
            thumbnails_browser=opts.thumbnails_browser or None,
            app_page=AppPageOptions(
                support_email=opts.support_email,
                analytics=bool(opts.analytics_domain),
                language=opts.language,
            ),
            # `mkdocs serve` is for quick previews: tracing an edited notebook would add 15-30 s to each save.
            precompile_python=opts.precompile_python and self.command != "serve",
            # ... and a save reloads the page within seconds: slow work follows in the background.
            quick=self.command == "serve",
            slim_wheels=opts.slim_wheels,
            memory_snapshot=opts.memory_snapshot,
            precompute_outputs=opts.precompute_outputs,
            app=self._app(config),
            server_notebooks_dir=Path(opts.server_notebooks_dir) if opts.server_notebooks_dir else None,
            server_url=server_tier.normalise_server_url(opts.server_url),
        )

    def _app(self, config: MkDocsConfig) -> pwa.AppIdentity:
        return pwa.AppIdentity(
            name=config.site_name, short_name=config.site_name, description=config.site_description or ""
        )

    # Runs before MkDocs cleans site/: if anything fails here, the previous site stays intact.
    @event_priority(100)
    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        try:
            self.prepared = prepare(self.gallery_request(config), log=log.info)
        except GalleryError as exc:
            raise PluginError(f"mplat-gallery: {exc}") from exc

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled or self.prepared is None:
            return files
        prepared = self.prepared
        language = self.config.language
        server_url = prepared.request.server_url
        gallery = pages.gallery_page(
            prepared.all_notebooks, thumbnail_urls(prepared), prepared.skipped, language, server_url
        )
        files.append(File.generated(config, "gallery/index.md", content=gallery))
        base_url = config.site_url or ""
        for nb in prepared.notebooks:
            page = pages.notebook_page(nb, base_url, language)
            files.append(File.generated(config, f"gallery/{nb.slug}/index.md", content=page))
        for nb in prepared.server_notebooks:
            page = pages.server_notebook_page(nb, server_url, language)
            files.append(File.generated(config, f"gallery/{nb.slug}/index.md", content=page))
        return files

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        if not self.config.enabled:
            return nav
        # A site without a `nav:` gets a section named after the folder, "Gallery", in every language.
        for item in nav.items:
            if isinstance(item, Section) and item.title == "Gallery":
                children = [c for c in item.children if isinstance(c, Page)]
                if any(c.file.src_uri == "gallery/index.md" for c in children):
                    item.title = text("gallery.title", self.config.language)
        return nav

    # Lowest priority: runs after other plugins' on_post_build (search writes its index there), because the
    # offline manifest written at its end hashes the final bytes of every file in site/.
    @event_priority(-100)
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled or self.prepared is None:
            return
        site_dir = Path(config.site_dir)
        shutil.copytree(STATIC_DIR, site_dir / STATIC_URL, dirs_exist_ok=True)
        (site_dir / MESSAGES_SCRIPT).write_text(messages_script(self.config.language), encoding="utf-8")
        if self.config.analytics_domain:
            script = analytics_script(self.config.analytics_domain, self.config.analytics_endpoint)
            (site_dir / ANALYTICS_SCRIPT).write_text(script, encoding="utf-8")
        try:
            write_site(self.prepared, site_dir)
        except GalleryError as exc:
            raise PluginError(f"mplat-gallery: {exc}") from exc
        pwa.write_install_files(site_dir, self._app(config))  # before the offline manifest lists the site
        report = self.prepared.report
        t = report.timings
        log.info(
            f"gallery: {len(report.notebooks)} notebooks, {len(report.exported)} exported, "
            f"{len(report.thumbnails)} thumbnails; check {t.check:.2f}s, export {t.export:.2f}s, "
            f"runtime {t.runtime:.2f}s, thumbnails {t.thumbnails:.2f}s, pages {t.pages:.2f}s"
        )
        if self.command == "serve" and report.deferred:
            self._refresh_later(self.prepared.request)
        # The response headers the site needs (site_headers.py): `make preview` serves them, publish-site
        # checks CloudFront sends the same, the service worker adds them to what it serves.
        headers = response_headers(self._site_policy())
        write_headers_file(site_dir, headers)
        # Last step. `mkdocs serve` gets no service worker: live reload must keep working.
        if self.config.offline and self.command != "serve":
            try:
                write_offline(
                    OfflineRequest(
                        site_dir, site_name=config.site_name, language=self.config.language, headers=headers
                    )
                )
            except GalleryError as exc:
                raise PluginError(f"mplat-gallery: {exc}") from exc

    def on_post_page(self, output: str, *, page, config: MkDocsConfig) -> str:  # type: ignore[no-untyped-def]
        if not self.config.enabled:
            return output
        # The manifest and Apple web-app tags on every page, so any page can be added to the home screen.
        root = get_relative_url(".", page.url) + "/"
        output = pwa.add_head_tags(output, root, self._app(config))
        # A notebook page draws the outputs computed at build time at once, before marimo has started.
        exports = self.prepared.exports.html if self.prepared else {}
        slug = page.url.removeprefix("gallery/").strip("/")
        if page.url.startswith("gallery/") and slug in exports:
            output = app_page.add_snapshot(output, exports[slug].read_text(encoding="utf-8"))
        return output

    def _refresh_later(self, request: GalleryRequest) -> None:
        """After a quick build's reload: a full build's slow steps in the background (outputs computed at
        build time, thumbnails, server previews), then the stamp that makes `mkdocs serve` rebuild, now from
        the cache. One at a time; a save meanwhile runs it once more."""
        if self._refresher is not None and self._refresher.is_alive():
            self._refresh_again.set()
            return

        def work() -> None:
            log.info(REFRESH_STARTED)
            while True:
                self._refresh_again.clear()
                try:
                    prepare(replace(request, quick=False), log=log.debug)
                except Exception as exc:  # the next save (or `mkdocs build`) shows it as a build error
                    log.info(f"mplat-gallery: background work stopped: {type(exc).__name__}: {exc}")
                    return
                if not self._refresh_again.is_set():
                    break
            (request.cache_dir / REFRESHED_STAMP).write_text(f"{time.time()}\n", encoding="utf-8")
            log.info(REFRESH_DONE)

        self._refresher = threading.Thread(target=work, name="mplat-gallery-refresh", daemon=True)
        self._refresher.start()

    def on_serve(self, server, *, config: MkDocsConfig, builder):  # type: ignore[no-untyped-def]
        if self.config.enabled:
            stamp = Path(config.config_file_path).parent / self.config.cache_dir / REFRESHED_STAMP
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.touch()
            server.watch(str(stamp))
            server.watch(str(self.config.notebooks_dir))
            if self.config.server_notebooks_dir:
                server.watch(str(self.config.server_notebooks_dir))
            if self.config.data_dir:
                server.watch(str(self.config.data_dir))
            for lib in self.config.browser_libraries:
                if self.config.source_dir:
                    server.watch(str(Path(self.config.source_dir).joinpath(*lib.split("."))))
        return server
