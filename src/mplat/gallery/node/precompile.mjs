// Pyodide under Node.js, for src/mplat/gallery/precompile.py (that module's docstring explains why).
//
//   node precompile.mjs SPEC.json  →  writes the result to SPEC's "output" file
//
// SPEC: {"pyodide": "<folder of pyodide.mjs>", "work": "<host folder, mounted at /work>", "output": "<file>",
//        "trace": [{"notebook": "/work/…/nb.py", "paths": ["/work/0", …], "imports": […], "timeout_s": 120}],
//        "compile": [{"dir": "/work/0", "prefix": "/lib/…", "legacy": bool, "files": ["pkg/mod.py", …]}]}
//        "generate": {"dataclass_sources": […], "patterns": [[text, is_bytes, flags], …], "output": "/work/…",
//                     "worker_boot": "<source of app/worker_boot.py>"}
// Result: {"python": "3.14.2", "traces": [{"modules": [file, …], "ops": […], "completed": bool,
//          "generated": {"dataclass_sources": […], "patterns": […]}}], "compiled": [[written, failed], …],
//          "generated": [dataclasses, patterns]}
//
// A trace runs a notebook the way marimo's WebAssembly worker does (create_session, instantiate,
// session.start()) and lists the file of every module compiled or imported by then. One interpreter runs
// every trace in turn, as the worker runs one session after another: marimo is imported (from source) once,
// and a later notebook's list also holds what the earlier ones imported (a superset is harmless).
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { loadPyodide } = await import(pathToFileURL(`${spec.pyodide}/pyodide.mjs`).href);

async function interpreter() {
  const py = await loadPyodide({
    indexURL: `${spec.pyodide}/`,
    stdout: () => {},
    stderr: () => {},
    // Bytecode without column positions (PEP 657's -X no_debug_ranges): 18 % smaller compressed, and the
    // browser downloads it; tracebacks into library code keep their line numbers.
    env: { HOME: "/home/pyodide", PYTHONNODEBUGRANGES: "1" },
  });
  py.FS.mkdirTree("/work");
  py.FS.mount(py.FS.filesystems.NODEFS, { root: spec.work }, "/work");
  return py;
}

const TRACE_SETUP = `
import os, sys
sys.dont_write_bytecode = True  # the trace must not leave timestamp-based .pyc files in the archives
# Every module compiled from source, including those whose import then failed (yaml.cyaml without its
# C extension): exactly what the browser would compile.
compiled = set()
sys.addaudithook(lambda event, args: compiled.add(args[1]) if event == "compile" and isinstance(args[1], str) else None)
# Code Python generates while importing: each dataclass's methods (compiled from text by dataclasses'
# exec) and each regular expression (compiled by re's pure-Python compiler). Recorded in first-seen order.
import builtins, dataclasses, re._compiler
dataclass_sources, patterns = {}, {}
def _recording_exec(source, *args, **kwargs):
    if isinstance(source, str):
        dataclass_sources[source] = None
    return builtins.exec(source, *args, **kwargs)
dataclasses.exec = _recording_exec  # dataclasses looks its exec up as a global
_re_compile = re._compiler.compile
def _recording_compile(pattern, flags=0):
    if isinstance(pattern, (str, bytes)):
        patterns[(pattern, flags)] = None
    return _re_compile(pattern, flags)
re._compiler.compile = _recording_compile
# Files the notebook opens (its data, e.g. a weather file in public/): the page can fetch them with the runtime.
opened = {}
def _recording_open(event, args):
    if event == "open" and isinstance(args[0], str):
        opened[os.path.abspath(args[0])] = None
sys.addaudithook(_recording_open)
`;

const TRACE = `
import asyncio, json, os, sys, time
job = json.loads(job_json)
opened.clear()  # this notebook's reads only
for path in reversed(job["paths"]):
    if path not in sys.path:
        sys.path.insert(0, path)
os.chdir(os.path.dirname(job["notebook"]))
for name in job["imports"]:  # what marimo's worker imports before a session (loadNotebookDeps)
    __import__(name)
from marimo._pyodide.bootstrap import create_session, instantiate
messages = []
session, bridge = create_session(filename=job["notebook"], query_params={}, message_callback=messages.append, user_config={})
instantiate(session, True)
task = asyncio.create_task(session.start())
started = time.monotonic()
completed = False
while time.monotonic() - started < job["timeout_s"] and not completed:
    await asyncio.sleep(0.1)
    completed = any('"op": "completed-run"' in m for m in messages)
kernel_task = getattr(session, "kernel_task", None)  # stopped as the worker's stopSession does
if kernel_task is None:
    task.cancel()
else:
    kernel_task.stop()
await asyncio.gather(task, return_exceptions=True)
ops = sorted({json.loads(m)["op"] for m in messages})
files = sorted(compiled | {f for m in list(sys.modules.values()) if isinstance(f := getattr(m, "__file__", None), str)})
generated = {
    "dataclass_sources": list(dataclass_sources),
    # bytes patterns as latin-1 text, marked (JSON has no bytes)
    "patterns": [[p if isinstance(p, str) else p.decode("latin-1"), isinstance(p, bytes), f] for p, f in patterns],
}
public = os.path.join(os.path.dirname(job["notebook"]), "public")
reads = sorted(os.path.relpath(f, public) for f in opened if f.startswith(public + os.sep) and os.path.isfile(f))
json.dumps({"modules": files, "ops": ops, "completed": completed, "generated": generated, "reads": reads})
`;

// The traces' generated code, compiled here once for the browser's interpreter by worker_boot.py's
// compile_generated_code (its source is in the job), which also defines the format the browser installs.
const GENERATE = `
import json, os
job = json.loads(job_json)
namespace = {"__name__": "mplat_worker_boot"}
exec(job["worker_boot"], namespace)
table = namespace["compile_generated_code"](job["dataclass_sources"], job["patterns"])
os.makedirs(os.path.dirname(job["output"]), exist_ok=True)
with open(job["output"], "wb") as f:
    f.write(namespace["marshal"].dumps(table))
json.dumps([len(table["dataclass"]), len(table["re"])])
`;

const COMPILE = `
import importlib.util, json, os, py_compile
job = json.loads(job_json)
written = failed = 0
for rel in job["files"]:
    source = os.path.join(job["dir"], rel)
    if job["legacy"]:
        target = source + "c"  # zipimport's layout: mod.pyc beside mod.py
    else:
        target = importlib.util.cache_from_source(source)  # __pycache__/mod.cpython-314.pyc
    try:
        py_compile.compile(source, cfile=target, dfile=os.path.join(job["prefix"], rel), doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        written += 1
    except (py_compile.PyCompileError, SyntaxError, UnicodeDecodeError):
        failed += 1  # left to compile in the browser, as without this step
json.dumps([written, failed])
`;

const out = { traces: [], compiled: [] };
const py = await interpreter();
out.python = py.runPython("import sys; sys.version.split()[0]");
if ((spec.trace ?? []).length) py.runPython(TRACE_SETUP);
for (const job of spec.trace ?? []) {
  // marimo's notebook_location() reads the worker's location (…/assets/worker.js) in WebAssembly.
  globalThis.location = { toString: () => `${job.notebook.slice(0, job.notebook.lastIndexOf("/"))}/assets/worker.js` };
  py.globals.set("job_json", JSON.stringify(job));
  out.traces.push(JSON.parse(await py.runPythonAsync(TRACE)));
}
for (const job of spec.compile ?? []) {
  py.globals.set("job_json", JSON.stringify(job));
  out.compiled.push(JSON.parse(py.runPython(COMPILE)));
}
if (spec.generate) {
  py.globals.set("job_json", JSON.stringify(spec.generate));
  out.generated = JSON.parse(py.runPython(GENERATE));
}
// A file, not stdout: process.exit() would cut off a large write to a pipe.
writeFileSync(spec.output, JSON.stringify(out));
process.exit(0); // marimo's session task keeps the event loop alive
