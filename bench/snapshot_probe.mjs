// Memory-snapshot probe under Node.js (bench_snapshot.py): make a snapshot of an interpreter that imported
// marimo's runtime, or restore one and run a notebook's session from it. Prints one JSON line of timings.
//   node snapshot_probe.mjs make    RUNTIME_DIR SO_FILE SNAPSHOT PACKAGES_JSON
//   node snapshot_probe.mjs restore RUNTIME_DIR SO_FILE SNAPSHOT NOTEBOOK PUBLIC_DIR
// msgspec's extension (marimo's runtime imports it) is preloaded through Emscripten's `dynamicLibraries`
// (reached through loadPyodide's `createPyodideModule`): loaded before the runtime starts, it lands at the
// same memory and table bases in the boot that makes the snapshot and in the one that restores it.
import { pathToFileURL } from "node:url";
import { readFileSync, writeFileSync, readdirSync } from "node:fs";

const [mode, runtime, soFile, snapshotFile, ...rest] = process.argv.slice(2);
const SO = "/lib/python3.14/site-packages/msgspec/_core.cpython-314-wasm32-emscripten.so";
const indexURL = runtime.endsWith("/") ? runtime : `${runtime}/`;
const { loadPyodide } = await import(pathToFileURL(`${indexURL}pyodide.mjs`).href);
const factory = (await import(pathToFileURL(`${indexURL}pyodide.asm.mjs`).href)).default;
let heapBytes = 0; // restoring: the snapshot's heap must fit the fresh memory (Pyodide #6254)
async function createPyodideModule(settings) {
  settings.dynamicLibraries = [SO];
  const locate = settings.locateFile;
  settings.locateFile = (path, dir) => (path === SO ? soFile : locate ? locate(path, dir) : dir + path);
  const module = await factory(settings);
  if (heapBytes) module.growMemory(heapBytes);
  return module;
}
const options = { indexURL, lockFileURL: `${indexURL}pyodide-lock.json`, env: { HOME: "/home/pyodide" }, createPyodideModule };
const seconds = (t) => +((performance.now() - t) / 1000).toFixed(3);
const result = {};

if (mode === "make") {
  let t = performance.now();
  const py = await loadPyodide({ ...options, packages: JSON.parse(rest[0]), _makeSnapshot: true, messageCallback: () => {} });
  result.boot = seconds(t);
  t = performance.now();
  py.runPython("import marimo._pyodide.bootstrap, marimo._runtime.runtime, gc\ngc.collect()");
  result.import = seconds(t);
  // marimo's log file is open: an open file is not in a snapshot (the file system lives in JavaScript)
  py.runPython(`
import logging
for _h in logging.getLogger("marimo").handlers:
    if isinstance(_h, logging.FileHandler) and _h.stream is not None:
        _h.stream.close()
        _h.stream = None`);
  for (const name of Object.keys(py.loadedPackages)) delete py.loadedPackages[name]; // Pyodide checks it is {} as at start
  t = performance.now();
  const snapshot = py.makeMemorySnapshot();
  result.make = seconds(t);
  result.bytes = snapshot.length;
  writeFileSync(snapshotFile, snapshot);
} else {
  const [notebook, publicDir] = rest;
  const data = readFileSync(snapshotFile);
  heapBytes = data.length;
  let t = performance.now();
  const py = await loadPyodide({ ...options, _loadSnapshot: data });
  result.restore = seconds(t);
  result.modules = py.runPython("import sys\nlen(sys.modules)");
  result.msgspec = py.runPython(`
import msgspec
class _Probe(msgspec.Struct, tag=True):
    x: int
msgspec.json.decode(msgspec.json.encode(_Probe(4)), type=_Probe) == _Probe(4)`);
  // The site-packages files (data, extension modules) are in the JavaScript file system, not in the snapshot.
  t = performance.now();
  await py.loadPackage(JSON.parse(readFileSync(`${snapshotFile}.packages.json`, "utf8")), { messageCallback: () => {} });
  result.files = seconds(t);
  py.FS.mkdirTree("/nb/public");
  py.FS.writeFile("/nb/notebook.py", readFileSync(notebook, "utf8"));
  for (const f of readdirSync(publicDir)) py.FS.writeFile(`/nb/public/${f}`, readFileSync(`${publicDir}/${f}`));
  globalThis.location = { toString: () => "/nb/assets/worker.js" }; // marimo's notebook_location() in a worker
  t = performance.now();
  const run = await py.runPythonAsync(`
import asyncio, os
from marimo._pyodide.bootstrap import create_session, instantiate
os.chdir("/nb")
_messages = []
_session, _bridge = create_session(filename="/nb/notebook.py", query_params={}, message_callback=_messages.append, user_config={})
instantiate(_session, True)
asyncio.create_task(_session.start())
for _ in range(6000):
    if any('"completed-run"' in m for m in _messages):
        break
    await asyncio.sleep(0.005)
[any('"completed-run"' in m for m in _messages), any("Traceback" in m for m in _messages)]`);
  result.run = seconds(t);
  [result.completed, result.traceback] = run.toJs();
}
console.log(JSON.stringify(result));
process.exit(0);
