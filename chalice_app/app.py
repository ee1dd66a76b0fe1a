"""mplat ingestion app: wiring only. Sources live in chalicelib/sources/, transforms in chalicelib/transforms/."""

from chalice import Chalice
from chalicelib.blueprints import ingest, transform

app = Chalice(app_name="mplat")
app.register_blueprint(ingest.bp)
app.register_blueprint(transform.bp)
