// What an executor may answer besides an output: a skip, and how a process's exit code maps to
// success, skip or failure (the contract for operators that run a process, such as agent tasks).
import { describe, expect, it } from "vitest";
import { DEFAULT_SKIP_EXIT_CODES, exitCodeResult } from "@/server/operators/execution";

describe("exit codes", () => {
  it("0 succeeds with the output, a skip code skips, anything else fails", () => {
    expect(exitCodeResult(0, { rows: 3 })).toEqual({ output: { rows: 3 } });
    expect(DEFAULT_SKIP_EXIT_CODES).toEqual([99]);
    expect(exitCodeResult(99, null)).toEqual({ skip: "The process exited with code 99, a skip code" });
    expect(() => exitCodeResult(1, null)).toThrow("The process exited with code 1");
  });

  it("a task may name its own skip codes", () => {
    expect(exitCodeResult(3, null, [3, 4])).toEqual({ skip: "The process exited with code 3, a skip code" });
    expect(() => exitCodeResult(99, null, [3])).toThrow("exited with code 99");
  });
});
