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
//  - a later visit starts Python from a memory snapshot (marimo's boot set attached and imported) that the
//    first visit's boot made and kept in Cache Storage, and attaches the notebook's own wheels then
//    (memory_snapshot.py); without one, or if it does not restore, Python starts as above.
// The Python part (the import finders, marimo's launch patch) is worker_boot.py, in CONFIG.workerBoot.
"use strict";

const CONFIG = /*MPLAT_CONTROLLER_CONFIG*/ null; // {separator, deferred, marimoBoot, workerBoot, generatedCode, sliceIndex}
const DEFERRED = new Set(CONFIG.deferred);
const ARCHIVES_DIR = "/lib/mplat-archives"; // the wheels imported from their archives, in the worker's file system
let mounted = null; // marimo's notebook folder (HOME), mounted once per worker: as soon as Python is up
// The stored memory snapshot, as the worker's first line started reading it (controller.py, _EARLY_IMPORT).
const snapshotReadEarly = self.mplatSnapshot || null;
self.mplatSnapshot = null;

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
   arrived, the page hears {mplat: "runtime-downloaded", restoring}: its gate then lets marimo load plotly.js
   and MathJax, which would otherwise share a slow link with the runtime — or, when Python is `restoring`
   from a memory snapshot (a promise), only after the notebook's first run. */
function prefetch(urls, restoring) {
  const early = new Map(
    urls.map((url) => [url, fetch(url, { credentials: "same-origin", priority: "high" })]),
  );
  const arrived = [...early.values()].map((pending) => pending.then((r) => r.clone().arrayBuffer()));
  Promise.all([Promise.allSettled(arrived), restoring]).then(([, restores]) =>
    self.postMessage({ mplat: "runtime-downloaded", restoring: restores }),
  );
  const realFetch = self.fetch.bind(self);
  self.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const pending = early.get(url);
    if (pending === undefined) return realFetch(input, init);
    early.delete(url);
    return pending;
  };
}

/* The memory snapshot of this plan's base (memory_snapshot.py) in Cache Storage (`entry.cache`), under a
   URL made of the runtime's address and the build's key (`entry.file`): another build or site never finds
   it. Each visit writes or reads one; a snapshot that failed to restore is replaced by a refusal (an empty
   body), so this browser boots normally from then on (until a build changes the key). */
const REFUSED = "refused";
/* A read takes ~0.1 s idle and ~0.5 s beside a page load; one that has not finished by this limit (a busy
   or stuck Cache Storage) must not hold the notebook's Python: it then starts afresh, for this visit. */
const SNAPSHOT_READ_LIMIT_MS = 8000;
const LATE = Symbol("late");

/* What a stored body means: a snapshot, or a refusal. */
function storedSnapshot(bytes) {
  return bytes.byteLength ? new Uint8Array(bytes) : REFUSED;
}

class SnapshotStore {
  constructor(indexURL, entry) {
    this.cache = entry.cache;
    this.url = new URL(entry.file, indexURL).href;
    this.folder = this.url.slice(0, this.url.lastIndexOf("/") + 1);
  }

  /* The worker's first line started reading it (`early`: {bytes: ArrayBuffer or null (none stored), failed});
     without that read, this worker reads it now. */
  async read(early) {
    const reading = early
      ? early.then(({ bytes, failed }) => {
          if (failed) throw new Error("Cache Storage could not be read");
          return bytes;
        })
      : caches.open(this.cache).then((cache) => cache.match(this.url)).then((r) => (r ? r.arrayBuffer() : null));
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(() => resolve(LATE), SNAPSHOT_READ_LIMIT_MS)));
    try {
      const bytes = await Promise.race([reading, late]);
      if (bytes === LATE) {
        console.warn(`mplat: the memory snapshot was not read in ${SNAPSHOT_READ_LIMIT_MS / 1000} s; Python starts afresh`);
        return REFUSED; // for this visit only: nothing is written
      }
      return bytes ? storedSnapshot(bytes) : null;
    } catch {
      return REFUSED; // no Cache Storage here (e.g. blocked for a third-party frame): boot normally
    } finally {
      clearTimeout(timer);
    }
  }

  async write(bytes, state = "made") {
    const cache = await caches.open(this.cache);
    for (const old of await cache.keys()) {
      if (old.url.startsWith(this.folder) && old.url !== this.url) await cache.delete(old); // an earlier build's
    }
    const headers = { "content-type": "application/octet-stream", "x-mplat-snapshot": state };
    await cache.put(this.url, new Response(bytes, { headers }));
  }

  refuse() {
    return this.write(new Uint8Array(0), REFUSED).catch(() => {});
  }
}

/* Pyodide's module factory, with the base's extension modules loaded before Python starts (Emscripten's
   dynamicLibraries: at the same addresses in every boot, which a snapshot needs) and, for a restore,
   memory grown to the snapshot's size first (Pyodide's restore copies into the memory as it is). */
function preloading(runtime, libraries, restoring) {
  const urls = new Map(libraries);
  return async (settings) => {
    const factory = (await runtime).default;
    settings.dynamicLibraries = [...urls.keys()];
    const locate = settings.locateFile;
    settings.locateFile = (path, dir) => urls.get(path) ?? (locate ? locate(path, dir) : dir + path);
    const module = await factory(settings);
    if (restoring) module.growMemory(restoring.length);
    return module;
  };
}

/* worker_boot.py, as the module mplat_worker_boot (in sys.modules: a restored interpreter finds it). */
function installWorkerBoot(pyodide) {
  pyodide.runPython(
    'import sys, types\nsys.modules["mplat_worker_boot"] = types.ModuleType("mplat_worker_boot")',
  );
  const module = pyodide.pyimport("mplat_worker_boot");
  const namespace = module.__dict__;
  try {
    pyodide.runPython(CONFIG.workerBoot, { globals: namespace });
  } finally {
    namespace.destroy();
    module.destroy();
  }
}

/* Calls a function of mplat_worker_boot with JavaScript values converted to Python. */
function callWorkerBoot(pyodide, name, ...args) {
  const module = pyodide.pyimport("mplat_worker_boot");
  const fn = module[name];
  const values = args.map((a) => (a !== null && typeof a === "object" ? pyodide.toPy(a) : a));
  try {
    return fn(...values);
  } finally {
    for (const v of values) if (v && typeof v.destroy === "function") v.destroy();
    fn.destroy();
    module.destroy();
  }
}

function tellPage(message) {
  self.postMessage({ mplat: "python", ...message });
}

async function boot(plan) {
  const indexURL = plan.indexURL;
  const entry = plan.memorySnapshot && typeof caches !== "undefined" ? plan.memorySnapshot : null;
  const libraries = entry ? entry.libraries.map(([path, file]) => [path, new URL(file, indexURL).href]) : [];
  const archives = new Set(plan.archives || []);
  const store = entry ? new SnapshotStore(indexURL, entry) : null; // only a plan of archives has one (controller.py)
  const reading = store ? store.read(snapshotReadEarly) : Promise.resolve(null);
  const restoring = reading.then((stored) => stored instanceof Uint8Array).catch(() => false);
  if (plan.files) {
    prefetch([...plan.files.map((f) => new URL(f, indexURL).href), ...libraries.map(([, url]) => url)], restoring);
  }
  // Pyodide's runtime script (1.2 MB) is loaded and compiled while the snapshot is read, not after it.
  const runtime = import(`${indexURL}pyodide.asm.mjs`);
  runtime.catch(() => {}); // a failure is reported where it is awaited
  const [{ loadPyodide }, lock, stored] = await Promise.all([
    import(`${indexURL}pyodide.mjs`),
    fetch(plan.lockFileURL).then((r) => {
      if (!r.ok) throw new Error(`${plan.lockFileURL}: HTTP ${r.status}`);
      return r.json();
    }),
    reading,
  ]);
  const options = {
    indexURL,
    packageBaseUrl: indexURL,
    lockFileContents: withoutEdgesInto(structuredClone(lock), archives),
    packages: plan.packages.filter((name) => !archives.has(name)),
    convertNullToNone: true,
  };
  const wheels = Promise.all(
    [...archives].map(async (name) => {
      const source = archiveSource(indexURL, lock, plan, name);
      return { package: name, ...(await verified(indexURL, source.file, source.sha256)), wheel: source.wheel };
    }),
  );
  let wheelsFailed = false;
  wheels.catch(() => (wheelsFailed = true)); // awaited below
  const snapshots = store && stored !== REFUSED;
  if (snapshots && stored) {
    try {
      return await restore(loadPyodide, options, plan, {
        runtime, libraries, stored, base: entry.base, wheels, archives,
      });
    } catch (error) {
      if (wheelsFailed) throw error; // the runtime's files, not the snapshot: reported as any failed boot
      console.warn("mplat: the stored memory snapshot did not restore; Python starts afresh", error);
      await store.refuse();
    }
  }
  const making = snapshots && !stored ? { store, libraries, base: entry.base } : null;
  return start(loadPyodide, options, plan, lock, { runtime, making, wheels, archives });
}

/* Python from the stored snapshot: the archives reopened, the notebook's other wheels attached. */
async function restore(loadPyodide, options, plan, { runtime, libraries, stored, base, wheels, archives }) {
  const pyodide = await loadPyodide({
    ...options,
    createPyodideModule: preloading(runtime, libraries, stored),
    _loadSnapshot: stored,
  });
  fetchData(plan);
  mountHomeSoon(pyodide); // IndexedDB is read while the wheels are attached
  const inBase = new Set(base);
  const fetched = await wheels;
  const paths = writeWheels(pyodide, fetched);
  callWorkerBoot(pyodide, "after_snapshot", true);
  callWorkerBoot(pyodide, "add_wheels", paths.filter((_, i) => !inBase.has(fetched[i].package)));
  return ready(pyodide, archives, "restored");
}

/* Python started afresh. `making`: with only the snapshot's base attached first, then its snapshot taken
   (kept in Cache Storage for later visits) before the notebook's other wheels are attached. */
async function start(loadPyodide, options, plan, lock, { runtime, making, wheels, archives }) {
  const [pyodide, fetched] = await Promise.all([
    loadPyodide({
      ...options,
      ...(making
        ? { createPyodideModule: preloading(runtime, making.libraries, null), _makeSnapshot: true }
        : {}),
    }),
    wheels,
  ]);
  fetchData(plan);
  const paths = writeWheels(pyodide, fetched);
  const inBase = making ? new Set(making.base) : archives;
  const base = paths.filter((_, i) => inBase.has(fetched[i].package));
  installWorkerBoot(pyodide);
  callWorkerBoot(pyodide, "boot", lock.packages, options.indexURL, [...DEFERRED], base, CONFIG.generatedCode);
  if (making) {
    let snapshot = null;
    try {
      callWorkerBoot(pyodide, "before_snapshot");
      snapshot = pyodide.makeMemorySnapshot();
    } catch (error) {
      console.warn("mplat: no memory snapshot of this boot", error);
      making.store.refuse(); // not tried again on every visit
    }
    // _makeSnapshot's globals proxy (which records what Python reached in JavaScript) fails on objects
    // without a prototype: the session gets the real globals.
    pyodide.runPython("import sys; sys.modules.pop('js', None)");
    pyodide.registerJsModule("js", globalThis);
    callWorkerBoot(pyodide, "after_snapshot", false);
    callWorkerBoot(pyodide, "add_wheels", paths.filter((_, i) => !inBase.has(fetched[i].package)));
    if (snapshot) making.store.write(snapshot).then(() => tellPage({ snapshot: "stored" }), () => {});
  }
  return ready(pyodide, archives, making ? "made-snapshot" : "started");
}

/* The runtime is in. While Python starts (synchronous work: this worker's promises wait for it), the
   browser fetches the data files the notebook's first run reads (`data`, from the build's trace) into its
   cache: the run's own request (synchronous, from Python) then finds them instead of the slow link. */
function fetchData(plan) {
  for (const url of plan.data || []) {
    fetch(url, { credentials: "same-origin" }).then((r) => r.arrayBuffer()).catch(() => {}); // a head start only
  }
}

/* The fetched wheels in the worker's file system; what worker_boot.py attaches (a path, or a slice). */
function writeWheels(pyodide, wheels) {
  pyodide.FS.mkdirTree(ARCHIVES_DIR);
  return wheels.map(({ name, bytes, wheel }) => {
    const path = `${ARCHIVES_DIR}/${name}`;
    pyodide.FS.writeFile(path, bytes);
    return wheel ? { path, index: CONFIG.sliceIndex, ...wheel } : path;
  });
}

function ready(pyodide, archives, how) {
  mountHomeSoon(pyodide);
  for (const name of archives) pyodide.loadedPackages[name] = "mplat archive"; // so nothing loads them again
  // the notebook's parse, done by the build (parsed_notebook.py): the session skips parsing it
  if (plan && plan.parsed) callWorkerBoot(pyodide, "use_parsed_notebook", plan.parsed.sha256, plan.parsed.pickle);
  tellPage({ started: how });
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
  if (options.pypiIndexUrl) callWorkerBoot(pyodide, "use_package_index", options.pypiIndexUrl);
  return pyodide;
}

// marimo's notebook folder (the same as marimo's own controller: /marimo, kept in IndexedDB but on a
// read-only page).
const HOME = "/marimo";
const NOTEBOOK_FILE = "notebook.py";

function syncfs(pyodide, populate) {
  return new Promise((resolve, reject) => pyodide.FS.syncfs(populate, (e) => (e ? reject(e) : resolve())));
}


async function mountHome(pyodide) {
  const fs = pyodide.FS;
  try {
    fs.mkdirTree(HOME);
  } catch {
    /* exists */
  }
  fs.chdir(HOME);
  // A page the build prepared (a plan) is marimo's read-only export: nothing is ever saved into the
  // folder, so there is nothing kept in IndexedDB to load (reading it took ~0.3 s of a warm boot).
  if (plan || globalThis.origin === "null") return;
  fs.mount(fs.filesystems.IDBFS, { root: "." }, HOME);
  await syncfs(pyodide, true);
}

function mountHomeSoon(pyodide) {
  if (!mounted) mounted = mountHome(pyodide);
  mounted.catch(() => {}); // awaited (and reported) by mountFilesystem
}

export async function mountFilesystem({ code, filename }) {
  const pyodide = await booting;
  mountHomeSoon(pyodide);
  await mounted;
  const fs = pyodide.FS;
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

const SESSION = (filename, findPackages) => `
import asyncio, contextlib, inspect, js
from marimo._pyodide.bootstrap import create_session, instantiate

def _mplat_session():
    session, bridge = create_session(
        filename=${JSON.stringify(filename)},
        query_params=js.query_params.to_py(),
        message_callback=js.messenger.callback,
        user_config=js.user_config.to_py(),
    )
    packages = []
    if ${findPackages ? "True" : "False"}:  # a page without a plan: the notebook's packages are loaded after
        with open(${JSON.stringify(filename)}) as f:
            packages = session.find_packages(f.read())
    started = []

    def init(auto_instantiate=True):
        instantiate(session, auto_instantiate)
        started.append(asyncio.create_task(session.start()))

    async def discard():
        # a session started ahead that the page did not ask for: its kernel stopped and torn down
        # (marimo's kernel context is one per worker) before the page's own session is made. The kernel's
        # task must have started: cancelled before its first step, it would skip the teardown in its finally.
        for _ in range(100):
            kernel = getattr(session, "kernel_task", None)
            if kernel is not None and kernel.task is not None:
                if inspect.getcoroutinestate(kernel.task.get_coro()) != inspect.CORO_CREATED:
                    break
            elif not started:
                break
            await asyncio.sleep(0)
        kernel = getattr(session, "kernel_task", None)
        if kernel is not None and kernel.task is not None:
            kernel.stop()
        for task in started:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    return bridge, init, packages, discard

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

/* A marimo session of the notebook, its first run started: {bridge, discard}. */
async function openSession(pyodide, { code, filename, onMessage, queryParameters, userConfig }) {
  self.messenger = { callback: onMessage };
  self.query_params = queryParameters;
  self.user_config = userConfig;
  const result = pyodide.runPython(SESSION(filename || NOTEBOOK_FILE, !plan));
  const [bridge, init, packages, discard] = result.toJs({ depth: 1 });
  result.destroy();
  const needed = packages.toJs();
  packages.destroy();
  if (!plan) await loadMissing(pyodide, code, needed);
  try {
    init(userConfig.runtime.auto_instantiate);
  } finally {
    init.destroy();
  }
  return { bridge, discard };
}

/* The session started ahead. marimo's page asks for its session once its ~300 scripts have run (2-3 s of
   the page's thread on a warm load), and the notebook's first run only starts then. The gate reads what the
   page will ask for (the notebook's code, its user config, the URL's query parameters: `sessionInputs` in
   notebook-gate.js) as soon as the page is parsed and posts it here; this worker starts that session as
   soon as Python is up, and keeps its messages until the page asks. The page's request is compared with
   what the gate sent (the user config as the kernel sees it, with marimo's defaults: the page fills them in
   on its side): the same, and the session, its first run done or under way, is the page's; otherwise it is
   discarded and the page's own is started. */
const AHEAD = "mplat-session-inputs";
let ahead = null;
let asked = false; // marimo's page asked for its session: too late to start one ahead

function startAhead(inputs) {
  const held = [];
  const relay = { to: null };
  const onMessage = (message) => (relay.to ? relay.to(message) : held.push(message));
  const opened = (async () => {
    const pyodide = await booting;
    const { code, filename } = await mountFilesystem(inputs);
    return openSession(pyodide, { ...inputs, code, filename, onMessage });
  })();
  opened.catch((error) => console.warn("mplat: the session started ahead failed; marimo's page starts its own", error));
  return {
    inputs,
    opened: opened.catch(() => null),
    adopt(to) {
      relay.to = to;
      for (const message of held.splice(0)) to(message);
    },
    drop() {
      relay.to = () => {};
      held.length = 0;
    },
  };
}

/* What the notebook gate posts to this worker (marimo's RPC ignores a "message" with an id it does not
   listen for): the inputs of the session to start ahead. */

function fromPage(event) {
  const d = event.data;
  if (!d || d.type !== "message") return;
  if (d.id === AHEAD && !ahead && !asked) ahead = startAhead(d.payload);
}
if (plan) {
  for (const event of self.mplatInbox || []) fromPage(event); // posted before this module had loaded
  self.addEventListener("message", fromPage);
}
self.mplatInbox = null;

function sameInputs(pyodide, sent, request) {
  if (sent.filename !== request.filename) return false;
  if (String(sent.code).trim() !== String(request.code).trim()) return false; // the page trims its copy
  if (JSON.stringify(sent.queryParameters) !== JSON.stringify(request.queryParameters)) return false;
  return Boolean(callWorkerBoot(pyodide, "same_user_config", sent.userConfig, request.userConfig));
}

export async function startSession(request) {
  asked = true;
  const pyodide = await booting;
  const early = ahead;
  ahead = null;
  const session = early ? await early.opened : null;
  if (session) {
    if (sameInputs(pyodide, early.inputs, request)) {
      early.adopt(request.onMessage);
      tellPage({ session: "ahead" });
      return session.bridge;
    }
    early.drop();
    await session.discard();
    tellPage({ session: "discarded" });
  }
  return (await openSession(pyodide, request)).bridge;
}
