// mplat's boot controller for marimo's WebAssembly worker. Published as apps/mplat-controller.js by
// src/mplat/gallery/controller.py, which explains the design and fills in CONFIG; edit this template.
//
// marimo's worker imports this module (instead of using its own controller) when the page names the worker
// "marimo::controller", and calls bootstrap() → mountFilesystem() → startSession(). What it does differently:
//  - one loadPyodide() with marimo's boot set AND the notebook's own packages (the build's plan, passed in
//    the worker's name by the notebook gate), started when the worker starts (the gate starts it with the
//    page), not after marimo's page scripts and a second round of package loading;
//  - every runtime file of the plan is requested at once, each exactly once;
//  - jedi, parso and docutils (code completion and docstrings: editing features) are not loaded unless the
//    notebook imports them; imported later anyway (by marimo or by the notebook), they are installed then,
//    synchronously, from the same runtime.
"use strict";

const CONFIG = /*MPLAT_CONTROLLER_CONFIG*/ null; // {separator, deferred: [...], marimoBoot: [...]}
const DEFERRED = new Set(CONFIG.deferred);

/* The build's plan for this notebook, in the worker's name: "marimo::controller<separator>{json}". */
function planFromName() {
  const name = self.name || "";
  const at = name.indexOf(CONFIG.separator);
  if (at === -1) return null;
  try {
    return JSON.parse(name.slice(at + CONFIG.separator.length));
  } catch {
    return null;
  }
}

/* Edges into the deferred packages are dropped, except from a deferred package itself (jedi → parso):
   marimo-base requires jedi and docutils, but a read-only app never uses them. */
function withoutDeferredEdges(lock) {
  for (const [name, entry] of Object.entries(lock.packages)) {
    if (!DEFERRED.has(name)) entry.depends = (entry.depends || []).filter((d) => !DEFERRED.has(d));
  }
  return lock;
}

/* Requests every file of the plan now, and hands each response to the first fetch() of its URL (Pyodide's
   own): the downloads run in parallel from the start, and nothing is requested twice. When all have
   arrived, the page hears {mplat: "runtime-downloaded"}: its gate then lets marimo load plotly.js and
   MathJax, which would otherwise share a slow link with the runtime. */
function prefetch(urls) {
  const early = new Map(
    urls.map((url) => [url, fetch(url, { credentials: "same-origin", priority: "high" })]),
  );
  const arrived = [...early.values()].map((pending) => pending.then((r) => r.clone().arrayBuffer()));
  Promise.allSettled(arrived).then(() => self.postMessage({ mplat: "runtime-downloaded" }));
  const realFetch = self.fetch.bind(self);
  self.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const pending = early.get(url);
    if (pending === undefined) return realFetch(input, init);
    early.delete(url);
    return pending;
  };
}

async function boot(plan) {
  const indexURL = plan.indexURL;
  if (plan.files) prefetch(plan.files.map((f) => new URL(f, indexURL).href));
  const [{ loadPyodide }, lock] = await Promise.all([
    import(`${indexURL}pyodide.mjs`),
    fetch(plan.lockFileURL).then((r) => {
      if (!r.ok) throw new Error(`${plan.lockFileURL}: HTTP ${r.status}`);
      return r.json();
    }),
  ]);
  const pyodide = await loadPyodide({
    indexURL,
    packageBaseUrl: indexURL,
    lockFileContents: withoutDeferredEdges(structuredClone(lock)),
    packages: plan.packages,
    convertNullToNone: true,
  });
  pyodide.globals.set("_mplat_lock", pyodide.toPy(lock.packages));
  pyodide.globals.set("_mplat_base", indexURL);
  pyodide.globals.set("_mplat_deferred", pyodide.toPy([...DEFERRED]));
  pyodide.runPython(PATCHES);
  return pyodide;
}

// Runs once, before any session: what marimo needs at launch, without jedi; deferred packages on demand.
const PATCHES = `
import hashlib, importlib, importlib.abc, importlib.machinery, io, sys, sysconfig, zipfile
import js
import marimo._runtime.patches as _patches


def _patch_recursion_limit(limit):
    # marimo's version imports jedi first, for a side effect (raising the limit) jedi 0.19 no longer has
    sys.setrecursionlimit(limit)


_patches.patch_recursion_limit = _patch_recursion_limit


class _DeferredPackages(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: importing a deferred package (jedi, parso, docutils) that was not loaded at
    boot installs its wheel from the runtime then (sha256-checked; a synchronous request, as imports are)."""

    def __init__(self, lock, base, deferred):
        self.lock, self.base = lock, base
        self.by_module = {m: name for name in deferred if name in lock for m in lock[name]["imports"]}

    def find_spec(self, fullname, path=None, target=None):
        name = self.by_module.get(fullname)
        if name is None or importlib.machinery.PathFinder.find_spec(fullname) is not None:
            return None
        self._install(name)
        importlib.invalidate_caches()
        return importlib.machinery.PathFinder.find_spec(fullname, path)

    def _installed(self, name):
        return any(importlib.machinery.PathFinder.find_spec(m) for m in self.lock[name]["imports"])

    def _install(self, name):
        entry = self.lock[name]
        for dependency in entry.get("depends", []):
            if dependency in self.lock and not self._installed(dependency):
                self._install(dependency)
        request = js.XMLHttpRequest.new()
        request.open("GET", self.base + entry["file_name"], False)
        request.responseType = "arraybuffer"
        request.send()
        if request.status != 200:
            raise ImportError(f"{name}: {entry['file_name']} answered HTTP {request.status}")
        data = request.response.to_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ImportError(f"{name}: {entry['file_name']} does not match the runtime's lockfile")
        zipfile.ZipFile(io.BytesIO(data)).extractall(sysconfig.get_paths()["purelib"])


sys.meta_path.append(_DeferredPackages(_mplat_lock, _mplat_base, _mplat_deferred))
del _mplat_lock, _mplat_base, _mplat_deferred
`;

const plan = planFromName();
let booting = plan ? boot(plan) : null; // the gate started this worker with the page: start at once
if (booting) booting.catch(() => {}); // reported by bootstrap()

/* marimo's worker: load Pyodide and marimo. Without a plan (a page the build did not prepare), marimo's
   boot set; the notebook's packages then load in startSession. */
export async function bootstrap(options) {
  if (!booting) {
    booting = boot({
      indexURL: options.pyodideIndexUrl,
      lockFileURL: options.pyodideLockfileUrl,
      packages: CONFIG.marimoBoot,
    });
  }
  const pyodide = await booting;
  if (options.pypiIndexUrl) {
    const micropip = pyodide.pyimport("micropip");
    try {
      micropip.set_index_urls(options.pypiIndexUrl);
    } finally {
      micropip.destroy();
    }
  }
  return pyodide;
}

// marimo's notebook folder (the same as marimo's own controller: /marimo, kept in IndexedDB).
const HOME = "/marimo";
const NOTEBOOK_FILE = "notebook.py";

function syncfs(pyodide, populate) {
  return new Promise((resolve, reject) => pyodide.FS.syncfs(populate, (e) => (e ? reject(e) : resolve())));
}

export async function mountFilesystem({ code, filename }) {
  const pyodide = await booting;
  const fs = pyodide.FS;
  try {
    fs.mkdirTree(HOME);
  } catch {
    /* exists */
  }
  fs.chdir(HOME);
  if (globalThis.origin !== "null") fs.mount(fs.filesystems.IDBFS, { root: "." }, HOME);
  await syncfs(pyodide, true);
  if (filename && filename !== NOTEBOOK_FILE) {
    try {
      return { code: new TextDecoder().decode(fs.readFile(filename)), filename };
    } catch {
      /* not there: written below */
    }
  }
  fs.writeFile(NOTEBOOK_FILE, code);
  return { code, filename: NOTEBOOK_FILE };
}

const SESSION = (filename) => `
import asyncio, gc, js
from marimo._pyodide.bootstrap import create_session, instantiate

def _mplat_session():
    session, bridge = create_session(
        filename=${JSON.stringify(filename)},
        query_params=js.query_params.to_py(),
        message_callback=js.messenger.callback,
        user_config=js.user_config.to_py(),
    )
    with open(${JSON.stringify(filename)}) as f:
        packages = session.find_packages(f.read())

    def init(auto_instantiate=True):
        instantiate(session, auto_instantiate)
        asyncio.create_task(session.start())

    return bridge, init, packages

_mplat_session()`;

/* The notebook's packages the plan did not load (a page without a plan): as marimo's controller does. */
async function loadMissing(pyodide, code, packages) {
  await pyodide.loadPackagesFromImports(code);
  const missing = packages.filter((p) => !pyodide.loadedPackages[p.trim().split(/[[<>=!~;@\s]/)[0]]);
  if (!missing.length) return;
  pyodide.globals.set("_mplat_missing", pyodide.toPy(missing));
  await pyodide.runPythonAsync(`
import micropip, sys
_missing = [r for r in _mplat_missing if r.split("[")[0] not in sys.modules]
del _mplat_missing
if _missing:
    await micropip.install(_missing)
`);
}

export async function startSession({ code, filename, onMessage, queryParameters, userConfig }) {
  const pyodide = await booting;
  self.messenger = { callback: onMessage };
  self.query_params = queryParameters;
  self.user_config = userConfig;
  const result = pyodide.runPython(SESSION(filename || NOTEBOOK_FILE));
  const [bridge, init, packages] = result.toJs({ depth: 1 });
  result.destroy();
  const needed = packages.toJs();
  packages.destroy();
  if (!plan) await loadMissing(pyodide, code, needed);
  try {
    init(userConfig.runtime.auto_instantiate);
  } finally {
    init.destroy();
  }
  return bridge;
}
