// The python operator through real runs: the seed's weather pipeline with a Python transform, end
// to end; an escape and exhaustion suite of hostile programs, each failing its own attempt cleanly
// (without retry) while the worker goes on serving; no state carried from one workspace's task to
// another's on the same worker; secrets masked in print and logging output.
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSecret } from "@/server/config/secrets";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, stopTestWorker, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { sendJson, startTestServer, type TestServer } from "../support/http-server";
import { connectToTestDatabase, instance, logOf, runDag } from "../support/operators";

// Read by the guarded client on first use, which comes after this.
process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

// Interpreters load in hundreds of milliseconds each on a loaded machine, and the first one of a
// process makes the snapshot the others start from.
vi.setConfig({ testTimeout: 120_000 });
const WAIT_MS = 90_000;
const runLong = (on: WorkspaceScope, document: Parameters<typeof runDag>[1]) =>
  runDag(on, document, undefined, WAIT_MS);

let scope: WorkspaceScope;
let other: WorkspaceScope;
let server: TestServer;
let admin: pg.Client;

beforeAll(async () => {
  server = await startTestServer({
    "/v1/forecast": (req, res) =>
      sendJson(res, 200, {
        city: req.query.get("city"),
        daily: [
          { date: "2025-01-02", temperature_min_f: 32, temperature_max_f: 50 },
          { date: "2025-01-03", temperature_min_f: 41, temperature_max_f: 59 },
        ],
      }),
  });
  admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(
    "CREATE TABLE IF NOT EXISTS forecast (city text, day date, min numeric, max numeric, PRIMARY KEY (city, day))",
  );
  const owner = await createUser("python");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 40 });
  other = await workspaceScope((await createUser("python-other")).workspace.id, { maxConcurrentTasks: 4 });
  await createSecret(scope, { name: "API_KEY", value: "k-python-123456" });
  await connectToTestDatabase(scope);
  await startTestWorker(4);
});
afterAll(async () => {
  await stopTestWorker();
  await server?.close();
  await admin?.end();
});

/** A TCP port on 127.0.0.1 that counts the connections it receives. */
async function countConnections(): Promise<{ port: number; connections: number }> {
  const counter = { port: 0, connections: 0 };
  const server = net.createServer((socket) => {
    counter.connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  counter.port = (server.address() as net.AddressInfo).port;
  return counter;
}

const python = (id: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id,
  operator: "python",
  config,
  ...extra,
});

describe("python", () => {
  it("runs the weather pipeline with a Python transform, end to end", async () => {
    const run = await runDag(
      scope,
      {
        id: "weather_python",
        params: { city: { type: "string", default: "Paris" } },
        tasks: [
          {
            id: "fetch_weather",
            operator: "http",
            config: { url: `${server.url}/v1/forecast`, query: { city: "{{ params.city }}" } },
          },
          python(
            "transform_weather",
            {
              inputs: { key: "{{ secrets.API_KEY }}" },
              source: [
                "import logging",
                "from statistics import mean",
                "",
                "log = logging.getLogger('transform')",
                "",
                "def to_celsius(f):",
                "    return round((f - 32) * 5 / 9, 1)",
                "",
                "def main(params, upstream, inputs):",
                "    forecast = upstream['fetch_weather']",
                "    rows = [",
                "        {'city': params['city'], 'day': d['date'],",
                "         'min': to_celsius(d['temperature_min_f']), 'max': to_celsius(d['temperature_max_f'])}",
                "        for d in forecast['daily']",
                "    ]",
                "    print(f\"{len(rows)} days for {params['city']}, key {inputs['key']}\")",
                "    log.warning('mean max %.1f C', mean(r['max'] for r in rows))",
                "    return rows",
              ].join("\n"),
            },
            { dependsOn: ["fetch_weather"] },
          ),
          {
            id: "load_to_db",
            operator: "sql",
            dependsOn: ["transform_weather"],
            config: {
              connection: "warehouse",
              statement:
                "insert into forecast (city, day, min, max) select city, day, min, max from json_populate_recordset(null::forecast, $1::json) on conflict (city, day) do update set min = excluded.min, max = excluded.max",
              parameters: ["{{ tasks.transform_weather.output | json }}"],
            },
          },
        ],
      },
      { city: "Lyon" },
      WAIT_MS,
    );
    expect(run.state).toBe("success");
    expect(instance(run, "transform_weather").output).toEqual([
      { city: "Lyon", day: "2025-01-02", min: 0, max: 10 },
      { city: "Lyon", day: "2025-01-03", min: 5, max: 15 },
    ]);
    const { rows } = await admin.query(
      "SELECT city, day::text, min::float, max::float FROM forecast ORDER BY day",
    );
    expect(rows).toEqual([
      { city: "Lyon", day: "2025-01-02", min: 0, max: 10 },
      { city: "Lyon", day: "2025-01-03", min: 5, max: 15 },
    ]);
    const log = await logOf(scope, run.id, "transform_weather");
    // print goes to the log at info, logging.warning at warn; the secret is masked in both.
    expect(log).toMatch(/INFO 2 days for Lyon, key \*\*\*\n/);
    expect(log).toMatch(/WARN WARNING transform: mean max 12\.5 C\n/);
    expect(log).not.toContain("k-python-123456");
  });

  it("reads item in mapped tasks, sets result, and reports errors with the user's line", async () => {
    const run = await runLong(scope, {
      id: "python_shapes",
      tasks: [
        { id: "list", operator: "test", config: { output: [1, 2, 3] } },
        python(
          "square",
          { source: "result = item * item" },
          { dependsOn: ["list"], map: { over: "tasks.list.output" } },
        ),
        python("broken", { source: "x = {}\n\nx['missing']" }),
        python("syntax", { source: "def f(:\n    pass" }),
        python("nothing", { source: "x = 1" }),
      ],
    });
    expect(instance(run, "square").output).toEqual([1, 4, 9]);
    expect(instance(run, "broken").error).toBe("KeyError: 'missing'");
    expect(await logOf(scope, run.id, "broken")).toMatch(/File "task\.py", line 3, in <module>/);
    expect(instance(run, "syntax").error).toMatch(/^SyntaxError: .* at line 1/);
    expect(instance(run, "nothing").output).toBeNull();
  });
});

describe("the Python sandbox inside a run", () => {
  /** Each program must fail its attempt with this error, once, however many retries it has. */
  const hostile: Record<string, [string, RegExp, Record<string, unknown>?]> = {
    import_js: ["import js\nresult = js.process.env", /^ModuleNotFoundError: No module named 'js'/],
    import_pyodide_js: [
      "import pyodide_js\nresult = 1",
      /^ModuleNotFoundError: No module named 'pyodide_js'/,
    ],
    pyodide_ffi: [
      "from pyodide.ffi import to_js\nresult = 1",
      /^ModuleNotFoundError: No module named 'pyodide/,
    ],
    ctypes: ["import ctypes\nresult = ctypes.CDLL(None)", /^ModuleNotFoundError: No module named 'ctypes'/],
    subprocess: [
      "import subprocess\nresult = subprocess.run(['id'])",
      /^ModuleNotFoundError: No module named 'subprocess'/,
    ],
    os_system: [
      "import os\nresult = os.system('id')",
      /^PermissionError: os\.system is not available in the sandbox/,
    ],
    os_fork: ["import os\nresult = os.fork()", /^PermissionError: os\.fork is not available in the sandbox/],
    socket: ["import socket\nresult = 1", /^ModuleNotFoundError: No module named 'socket'/],
    // With the import guard removed, the modules still find nothing of the host.
    meta_path_js: [
      "import sys\nsys.meta_path.pop(0)\nimport js\nresult = 1",
      /^ModuleNotFoundError: No module named 'js'$/,
    ],
    builtins_import: [
      "__builtins__.__import__('pyodide_js')",
      /^ModuleNotFoundError: No module named 'pyodide_js'/,
    ],
    socket_unguarded: [
      "import sys\nsys.meta_path.pop(0)\nimport socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=2)",
      /^PermissionError: \[Errno 2\] Permission denied/,
    ],
    core_to_js_eval: [
      "import sys\nsys.meta_path.pop(0)\nimport _pyodide_core\no = _pyodide_core.to_js({'a': 1})\nresult = o.constructor.constructor('return process')()",
      /Code generation from strings disallowed/,
    ],
    host_passwd: ["open('/etc/passwd').read()", /^FileNotFoundError: .*\/etc\/passwd/],
    host_source: [
      "import os\nopen(os.getcwd() + '/../../work/main/package.json').read()",
      /^FileNotFoundError/,
    ],
    cpu_loop: ["while True:\n    pass", /exceeded its CPU time limit of 500 ms/, { cpuMs: 500 }],
    cpu_catches_interrupt: [
      "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass",
      /exceeded its CPU time limit of 500 ms/,
      { cpuMs: 500 },
    ],
    memory_list: [
      "a = []\nwhile True:\n    a.append(bytearray(10**6))",
      /ran out of memory \(limit 32 MiB\)/,
      { memoryMiB: 32 },
    ],
    memory_one_block: ["x = b'x' * (10**9)", /ran out of memory \(limit 32 MiB\)/, { memoryMiB: 32 }],
    recursion: [
      "def f(n):\n    return f(n + 1)\nf(0)",
      /^RecursionError: maximum recursion depth exceeded \(limit 1000/,
    ],
    // Recursing until the C stack guard trips takes seconds of CPU on a loaded machine: a CPU
    // limit far above that, so the error is the stack's, not the clock's.
    recursion_limit_raised: [
      "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)",
      /^RecursionError|crashed/,
      { cpuMs: 60_000 },
    ],
    huge_output: ["result = 'x' * (5 * 1024 * 1024)", /^Output is too large/],
    nul_output: [
      "result = {'k': 'a\\x00b'}",
      /^The output cannot be stored: the string at output\.k holds a NUL/,
    ],
    not_json: ["result = {1, 2}", /^Output is not JSON-serialisable: Object of type set/],
    system_exit: ["raise SystemExit(3)", /^SystemExit: 3/],
    threads: [
      "import threading\nt = threading.Thread(target=print)\nt.start()",
      /^RuntimeError: can't start new thread|not available in the sandbox/,
    ],
  };

  it("fails each escape or exhaustion attempt cleanly, once, and keeps serving other tasks", async () => {
    const listener = await countConnections();
    expect(Object.keys(hostile).length).toBeGreaterThanOrEqual(20);
    const run = await runDag(
      scope,
      {
        id: "python_escapes",
        tasks: [
          ...Object.entries(hostile).map(([id, [source, , limits]]) =>
            python(
              id,
              { source: source.replace("PORT", String(listener.port)), ...(limits ? { limits } : {}) },
              { retries: 2, retryDelaySeconds: 1 },
            ),
          ),
          python(
            "after",
            { source: "import os, json\nresult = [sorted(os.listdir('/')), json.dumps({'a': 1})]" },
            { dependsOn: Object.keys(hostile), triggerRule: "all_done" },
          ),
          { id: "meanwhile", operator: "test", config: { output: "served", durationMs: 50 } },
        ],
      },
      undefined,
      200_000,
    );
    for (const [id, [, error]] of Object.entries(hostile)) {
      const task = instance(run, id);
      expect(task.state, id).toBe("failed");
      expect(task.error, id).toMatch(error);
      expect(task.attempts, id).toHaveLength(1);
    }
    // The interpreter's own file system: nothing of the host's.
    expect(instance(run, "after").output).toEqual([
      ["baton", "dev", "home", "lib", "proc", "tmp"],
      '{"a": 1}',
    ]);
    expect(instance(run, "meanwhile").output).toBe("served");
    // Not even a connection attempt reached the address a socket was pointed at.
    expect(listener.connections).toBe(0);
  }, 240_000);

  it("carries nothing from one workspace's task to another's on the same worker", async () => {
    const polluter = await runLong(scope, {
      id: "python_polluter",
      tasks: [
        python("pollute", {
          source: [
            "import sys, json, builtins, os",
            "sys.secret_left_behind = 'from workspace one'",
            "json.dumps = lambda *a, **k: 'patched'",
            "builtins.len = lambda x: -1",
            "os.makedirs('/tmp/shared', exist_ok=True)",
            "open('/tmp/shared/note.txt', 'w').write('left behind')",
            "sys.modules['statistics'].mean = lambda xs: 'patched'",
            "result = 'polluted'",
          ].join("\n"),
        }),
      ],
    });
    expect(instance(polluter, "pollute").output).toBe("polluted");
    const reader = await runLong(other, {
      id: "python_reader",
      tasks: [
        python("look", {
          source: [
            "import sys, json, os, statistics",
            "result = {",
            "  'sys': hasattr(sys, 'secret_left_behind'),",
            "  'json': json.dumps([1]),",
            "  'len': len([1, 2]),",
            "  'file': os.path.exists('/tmp/shared/note.txt'),",
            "  'mean': statistics.mean([1, 3]),",
            "}",
          ].join("\n"),
        }),
      ],
    });
    expect(instance(reader, "look").output).toEqual({
      sys: false,
      json: "[1]",
      len: 2,
      file: false,
      mean: 2,
    });
  });

  it("passes fetch through the guarded client, and refuses private addresses", async () => {
    const run = await runLong(scope, {
      id: "python_fetch",
      tasks: [
        python("get", {
          fetch: true,
          source: [
            `r = fetch('${server.url}/v1/forecast?city=Nice')`,
            "result = [r.status, r.ok, r.json()['city'], r.headers['content-type']]",
          ].join("\n"),
        }),
        python("private", {
          fetch: true,
          source:
            "try:\n    fetch('http://10.0.0.1/admin')\nexcept FetchError as error:\n    result = str(error)",
        }),
        python("no_fetch", { source: "result = fetch('http://example.com')" }),
      ],
    });
    expect(instance(run, "get").output).toEqual([200, true, "Nice", "application/json"]);
    expect(instance(run, "private").output).toMatch(/refused: 10\.0\.0\.1 \(private address\)/);
    expect(instance(run, "no_fetch").error).toBe("NameError: name 'fetch' is not defined");
  });

  it("caps what a task prints before copying it out, and stores lines with NUL escaped", async () => {
    const run = await runLong(scope, {
      id: "python_print",
      tasks: [
        python("flood", {
          source: "print('z' * (50 * 1024 * 1024))\nprint('after')\nresult = 'printed'",
          limits: { memoryMiB: 128 },
        }),
        python("nul", { source: "print('before\\x00after')\nresult = 1" }),
      ],
    });
    expect(instance(run, "flood").output).toBe("printed");
    const flood = await logOf(scope, run.id, "flood");
    expect(flood).toMatch(/Log output truncated|log cut/);
    expect(flood).not.toContain("after");
    expect(flood.length).toBeLessThan(1.1 * 1024 * 1024);
    expect(await logOf(scope, run.id, "nul")).toContain("INFO before\\u0000after\n");
  });
});
