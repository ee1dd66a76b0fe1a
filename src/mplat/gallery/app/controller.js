// mplat's boot controller for marimo's WebAssembly worker. Published as apps/mplat-controller.js by
// src/mplat/gallery/controller.py, which explains the design and fills in CONFIG; edit this template.
//
// marimo's worker imports this module (instead of using its own controller) when the page names the worker
// "marimo::controller", and calls bootstrap() → mountFilesystem() → startSession(). What it does differently:
//  - one loadPyodide() with marimo's boot set AND the notebook's own packages (the build's plan, passed in
//    the worker's name by the notebook gate), started when the worker starts (the gate starts it with the
//    page), not after marimo's page scripts and a second round of package loading;
//  - every runtime file of the plan is requested at once, each exactly once;
//  - wheels are imported from their archives, not extracted file by file (worker_boot.py), extension
//    modules included: the boot never runs Pyodide's package loader; of a wheel the build sliced, only its
//    boot slice is fetched (what a page load reads: slices.py), the whole wheel if more is asked for;
//  - jedi, parso and docutils (code completion and docstrings: editing features) are not loaded unless the
//    notebook imports them; imported later anyway (by marimo or by the notebook), they are installed then,
//    synchronously, from the same runtime.
// The Python part (the import finders, marimo's launch patch) is worker_boot.py, in CONFIG.workerBoot.
"use strict";

const CONFIG = /*MPLAT_CONTROLLER_CONFIG*/ null; // {separator, deferred, marimoBoot, workerBoot, generatedCode, sliceIndex}
const DEFERRED = new Set(CONFIG.deferred);
const ARCHIVES_DIR = "/lib/mplat-archives"; // the wheels imported from their archives, in the worker's file system

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

/* Pyodide must not load what the controller provides itself: edges into the archives' packages are
   dropped, and edges into the deferred packages except from a deferred package itself (jedi → parso):
   marimo-base requires jedi and docutils, but a read-only app never uses them. */
function withoutEdgesInto(lock, archives) {
  for (const [name, entry] of Object.entries(lock.packages)) {
    const provided = (d) => archives.has(d) || (DEFERRED.has(d) && !DEFERRED.has(name));
    entry.depends = (entry.depends || []).filter((d) => !provided(d));
  }
  return lock;
}

async function sha256Hex(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/* A runtime file, checked against its sha256 (the lockfile's, or the plan's for a boot slice) as Pyodide's
   loadPackage checks what it loads. */
async function verified(indexURL, fileName, sha256) {
  const url = new URL(fileName, indexURL).href;
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if ((await sha256Hex(bytes)) !== sha256) throw new Error(`${url} does not match the runtime's lockfile`);
  return { name: fileName.split("/").pop(), bytes };
}

/* What worker_boot.py imports a package from: its boot slice (slices.py), with where the whole wheel is
   should a module or a source outside the slice be asked for; or the whole wheel. */
function archiveSource(indexURL, lock, plan, name) {
  const entry = lock.packages[name];
  const slice = (plan.slices || {})[name];
  if (!slice) return { file: entry.file_name, sha256: entry.sha256, wheel: null };
  return { file: slice[0], sha256: slice[1], wheel: { url: new URL(entry.file_name, indexURL).href, sha256: entry.sha256 } };
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
  const archives = new Set(plan.archives || []);
  const [pyodide, wheels] = await Promise.all([
    loadPyodide({
      indexURL,
      packageBaseUrl: indexURL,
      lockFileContents: withoutEdgesInto(structuredClone(lock), archives),
      packages: plan.packages.filter((name) => !archives.has(name)),
      convertNullToNone: true,
    }),
    Promise.all(
      [...archives].map(async (name) => {
        const source = archiveSource(indexURL, lock, plan, name);
        return { ...(await verified(indexURL, source.file, source.sha256)), wheel: source.wheel };
      }),
    ),
  ]);
  // The runtime is in. While Python starts (synchronous work: this worker's promises wait for it), the
  // browser fetches the data files the notebook's first run reads (`data`, from the build's trace) into
  // its cache: the run's own request (synchronous, from Python) then finds them instead of the slow link.
  for (const url of plan.data || []) {
    fetch(url, { credentials: "same-origin" }).then((r) => r.arrayBuffer()).catch(() => {}); // a head start only
  }
  pyodide.FS.mkdirTree(ARCHIVES_DIR);
  const paths = wheels.map(({ name, bytes, wheel }) => {
    pyodide.FS.writeFile(`${ARCHIVES_DIR}/${name}`, bytes);
    const path = `${ARCHIVES_DIR}/${name}`;
    return wheel ? { path, index: CONFIG.sliceIndex, ...wheel } : path;
  });
  const namespace = pyodide.toPy({ __name__: "mplat_worker_boot" });
  const [packages, deferred, wheelPaths] = [lock.packages, [...DEFERRED], paths].map((v) => pyodide.toPy(v));
  try {
    pyodide.runPython(CONFIG.workerBoot, { globals: namespace });
    const start = namespace.get("boot");
    try {
      start(packages, indexURL, deferred, wheelPaths, CONFIG.generatedCode);
    } finally {
      start.destroy();
    }
  } finally {
    for (const proxy of [namespace, packages, deferred, wheelPaths]) proxy.destroy();
  }
  for (const name of archives) pyodide.loadedPackages[name] = "mplat archive"; // so nothing loads them again
  return pyodide;
}

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
