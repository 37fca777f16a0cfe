# The sandbox side of a Python run: evaluated by interpreter.ts in a fresh interpreter, then it runs
# the task's code. Everything it exchanges with the host goes through files of the interpreter's
# own in-memory file system (inputs in, the output or the error out, each checked for size by the
# host before it is read) and through stdout/stderr and two devices: /dev/baton_warn (log lines at
# warning level) and /dev/baton_fetch (a request written, its response read back). Python reaches
# no JavaScript object at all: the `js` and `pyodide_js` modules are gone before this runs.
#
# Nothing here is a security boundary by itself: the task's code runs in this same interpreter and
# could undo any of it. It makes the sandbox's answers clear ("No module named 'js'"); the
# boundaries are in interpreter.ts and python-host.ts (no code generation, no host files, no
# processes, memory and CPU caps). docs/sandbox.md describes the task's view.
import builtins
import inspect
import json
import logging
import os
import sys
import traceback

_BLOCKED = frozenset(
    {
        "js",
        "pyodide_js",
        "pyodide",
        "_pyodide",
        "_pyodide_core",
        "micropip",
        "ctypes",
        "_ctypes",
        "socket",
        "_socket",
        "ssl",
        "select",
        "selectors",
        "subprocess",
        "_posixsubprocess",
        "multiprocessing",
        "_multiprocessing",
        "asyncio",
        "_asyncio",
        "webbrowser",
    }
)
_OS_REMOVED = (
    "system popen fork forkpty execl execle execlp execlpe execv execve execvp execvpe spawnl "
    "spawnle spawnlp spawnlpe spawnv spawnve spawnvp spawnvpe posix_spawn posix_spawnp kill killpg "
    "putenv unsetenv chdir chroot"
).split()


class _NotInSandbox:
    """Refuses imports of what reaches outside the interpreter, with a message that says so."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named '{name}' (not available in the sandbox)", name=name)
        return None


def _seal():
    for name in list(sys.modules):
        if name.partition(".")[0] in _BLOCKED:
            del sys.modules[name]
    sys.meta_path.insert(0, _NotInSandbox())
    os.environ.clear()
    for name in _OS_REMOVED:
        if hasattr(os, name):
            setattr(os, name, _refuse(f"os.{name}"))


def _refuse(what):
    def refused(*args, **kwargs):
        raise PermissionError(f"{what} is not available in the sandbox")

    return refused


# Captured before the task's code runs, which may replace the module attributes (its own output
# is all it could spoil by reaching these).
_dumps = json.dumps
_loads = json.loads
_open = builtins.open


def _read(path):
    with _open(path, encoding="utf-8") as file:
        return file.read()


def _write(path, value):
    # ASCII: NUL and lone surrogates travel escaped, and the host's size check is exact. Encoded
    # first, so that a value that is not JSON leaves no file behind.
    text = _dumps(value, ensure_ascii=True, allow_nan=False)
    with _open(path, "w", encoding="utf-8") as file:
        file.write(text)


class FetchError(OSError):
    """A request the platform refused or could not complete."""


class Response:
    def __init__(self, status, headers, text):
        self.status = status
        self.ok = 200 <= status < 300
        self.headers = headers
        self.text = text

    def json(self):
        return json.loads(self.text)

    def __repr__(self):
        return f"<Response {self.status}>"


def fetch(url, *, method="GET", headers=None, body=None, json=None):
    """An HTTP request through the platform's guarded client; blocks until the answer is in."""
    if json is not None:
        body = _dumps(json)
        headers = {"content-type": "application/json", **(headers or {})}
    request = _dumps({"url": str(url), "method": method, "headers": headers, "body": body})
    with open("/dev/baton_fetch", "r+b", buffering=0) as device:
        device.write(request.encode("utf-8", "surrogatepass"))
        reply = _loads(device.read().decode("utf-8"))
    if not reply.get("ok"):
        raise FetchError(reply.get("message", "fetch failed"))
    response = reply["response"]
    return Response(response["status"], response["headers"], response["body"])



class _LevelFilter(logging.Filter):
    def __init__(self, below_warning):
        super().__init__()
        self.below_warning = below_warning

    def filter(self, record):
        return (record.levelno < logging.WARNING) == self.below_warning


def _configure_logging():
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    warn = open("/dev/baton_warn", "w", encoding="utf-8", buffering=1)
    handlers = []
    for stream, below in ((sys.stdout, True), (warn, False)):
        handler = logging.StreamHandler(stream)
        handler.addFilter(_LevelFilter(below))
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handlers.append(handler)
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    logging.captureWarnings(True)


_INPUT_NAMES = ("params", "upstream", "vars", "item", "inputs")


class TaskSkipped(Exception):
    """Raised by skip(reason): the task ends as skipped, not failed."""


def skip(reason="skipped by the task"):
    raise TaskSkipped(str(reason))


def _output(namespace):
    main = namespace.get("main")
    if callable(main):
        try:
            accepted = inspect.signature(main).parameters
        except (TypeError, ValueError):
            accepted = {}
        kwargs = {name: namespace[name] for name in _INPUT_NAMES if name in accepted}
        return main(**kwargs)
    return namespace.get("result")


def _failure(error):
    if isinstance(error, MemoryError):
        return {"kind": "memory"}
    if isinstance(error, RecursionError):
        return {"kind": "stack_overflow"}
    if isinstance(error, KeyboardInterrupt):
        return {"kind": "timeout"}
    frames = traceback.extract_tb(error.__traceback__)
    # The prelude's own frames say nothing to the task's author.
    own = [frame for frame in frames if frame.filename == "task.py"]
    lines = traceback.format_list(own[-20:])
    text = "Traceback (most recent call last):\n" + "".join(lines) if lines else ""
    return {
        "kind": "runtime",
        "name": type(error).__name__[:200],
        "message": str(error)[:4000],
        "traceback": text[:8000],
    }


def prepare():
    """Before any task: the import guard, the host's functions gone, logging to the task log."""
    _seal()
    _configure_logging()


def run():
    """Runs /baton/task.py; writes /baton/output.json or /baton/error.json."""
    limits = _loads(_read("/baton/limits.json"))
    given = _loads(_read("/baton/inputs.json"))
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    for name in _INPUT_NAMES:
        namespace[name] = given.get(name)
    namespace["skip"] = skip
    namespace["TaskSkipped"] = TaskSkipped
    if limits["fetch"]:
        namespace["fetch"] = fetch
        namespace["FetchError"] = FetchError
    source = _read("/baton/task.py")
    try:
        code = compile(source, "task.py", "exec")
    except SyntaxError as error:
        message = f"{type(error).__name__}: {error.msg}"
        _write("/baton/error.json", {"kind": "syntax", "message": message[:4000], "line": error.lineno, "column": error.offset})
        return
    sys.setrecursionlimit(limits["recursionLimit"])
    try:
        exec(code, namespace)
        value = _output(namespace)
    except BaseException as error:
        _write("/baton/error.json", _failure(error))
        return
    finally:
        sys.setrecursionlimit(1000)
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        _write("/baton/output.json", value)
    except (TypeError, ValueError) as error:
        _write("/baton/error.json", {"kind": "output_not_serialisable", "reason": str(error)[:2000]})
