// The editor's save dialog shows a refused save once: a refusal without field problems (the DAG
// quota) is its message as the title alone; one with problems lists each under the title.
import { describe, expect, it } from "vitest";
import { saveFailure } from "@/app/w/[workspace]/dags/_editor/save-dialog";

const quotaMessage =
  "This workspace has 3 of 3 DAGs allowed by its plan (quota maxDags). Archive a DAG it no longer needs, or ask for a larger plan; new versions of existing DAGs are still accepted.";

describe("the save dialog's refusal", () => {
  it("shows the DAG quota's message once", () => {
    const failure = saveFailure({ message: quotaMessage, data: { code: "CONFLICT", problems: [] } });
    expect(failure).toEqual({ title: quotaMessage, problems: [] });
    // Nothing else in the alert repeats it.
    expect(JSON.stringify(failure).split("quota maxDags").length - 1).toBe(1);
  });

  it("lists the document's problems under the title", () => {
    const problems = [{ path: "tasks.0.operator", message: "Unknown operator" }];
    expect(saveFailure({ message: "The DAG is invalid", data: { problems } })).toEqual({
      title: "The DAG is invalid",
      problems,
    });
  });

  it("has a title for an error without a message", () => {
    expect(saveFailure({}).title).toBe("Something went wrong. Try again.");
  });
});
