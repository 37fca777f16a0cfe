// Code in the web app, in a real Chromium: the version diff shows a one-line change of a code
// task's source as that line (removed and added), not as two JSON strings, and the page stays
// within a phone's width; the editor's code tab is CodeMirror, with YAML and the tasks' Python,
// JavaScript and SQL highlighted, completion and hover help from the DAG schema, and the server's
// problems underlined where they are.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type App,
  launchBrowser,
  newPerson,
  overflowing,
  screenshot,
  signIn,
  startApp,
} from "../support/browser";
import { createUser } from "../support/factories";

let app: App;
let browser: Browser;
let page: Page;
let consoleErrors: string[];
let owner: Awaited<ReturnType<typeof createUser>>;
const ws = () => `/w/${owner.workspace.slug}`;

/** A code task's source of `n` lines, the fourth of which says `fourth`. */
const source = (fourth: string) =>
  [
    "const rows = upstream.fetch.daily;",
    "let total = 0;",
    "for (const row of rows) {",
    `  total += ${fourth};`,
    "}",
    "const average = total / rows.length;",
    'log("average " + average);',
    "return { average, count: rows.length, note: 'a line long enough to need scrolling sideways on a phone screen, which it must do inside its own box' };",
  ].join("\n");

beforeAll(async () => {
  owner = await createUser("code-views");
  const workspace = owner.workspace.slug;
  const document = (fourth: string) => ({
    id: "averages",
    tasks: [
      { id: "fetch", operator: "noop" },
      { id: "average", operator: "code", dependsOn: ["fetch"], config: { source: source(fourth) } },
    ],
  });
  await owner.api.dags.push({ workspace, message: "first", document: document("row.temperature_max") });
  await owner.api.dags.push({
    workspace,
    message: "use the minimum",
    document: document("row.temperature_min"),
  });
  await owner.api.dags.push({
    workspace,
    message: "polyglot",
    document: {
      id: "polyglot",
      tasks: [
        { id: "fetch", operator: "noop" },
        {
          id: "train",
          operator: "python",
          dependsOn: ["fetch"],
          config: {
            source: "def mean(values):\n    return sum(values) / len(values)\n\nresult = mean([1, 2, 3])\n",
          },
        },
        {
          id: "shape",
          operator: "code",
          dependsOn: ["fetch"],
          config: { source: "const rows = [1, 2];\nreturn { count: rows.length };\n" },
        },
        {
          id: "load",
          operator: "sql",
          dependsOn: ["train"],
          config: { connection: "warehouse", statement: "select count(*)\nfrom forecast\nwhere city = $1\n" },
        },
      ],
    },
  });
  app = await startApp();
  browser = await launchBrowser();
  const person = await newPerson(browser, app);
  page = person.page;
  consoleErrors = person.consoleErrors;
  await signIn(page, owner);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe("the version diff", () => {
  it("shows a one-line change of a task's code as that line, on a desktop and on a phone", async () => {
    for (const viewport of [
      { width: 1440, height: 960 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(viewport);
      await page.goto(`${ws()}/dags/averages`);
      const changes = page.getByRole("table", { name: "Changes to config.source" });
      await changes.waitFor();
      const rows = changes.getByRole("row");
      const texts = (await rows.allTextContents()).map((text) => text.trim());
      // The changed line, once each side, marked for screen readers as what it is.
      expect(texts.filter((t) => t.includes("Removed:"))).toEqual([
        expect.stringContaining("total += row.temperature_max;"),
      ]);
      expect(texts.filter((t) => t.includes("Added:"))).toEqual([
        expect.stringContaining("total += row.temperature_min;"),
      ]);
      // Unchanged lines around it, with their numbers, and never an escaped JSON string.
      expect(texts.some((t) => /^33\s*for \(const row of rows\) \{$/.test(t))).toBe(true);
      expect(await changes.textContent()).not.toContain("\\n");
      // The long line scrolls inside its box: the page is as wide as the screen.
      expect(await overflowing(page)).toEqual({ overflow: 0, elements: [] });
      await screenshot(page, `version-diff-${viewport.width}`);
    }
    expect(consoleErrors).toEqual([]);
  });
});

describe("the run page on a phone", () => {
  it("keeps a task's long code inside its box: the page is as wide as the screen", async () => {
    const { id } = await owner.api.runs.trigger({ workspace: owner.workspace.slug, dagId: "averages" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${ws()}/runs/${id}?task=average`);
    const panel = page.getByRole("complementary", { name: "Task average" });
    await panel.getByText("total += row.temperature_min", { exact: false }).waitFor();
    expect(await overflowing(page)).toEqual({ overflow: 0, elements: [] });
    await screenshot(page, "run-page-phone");
    expect(consoleErrors).toEqual([]);
  });
});

describe("the code editor", () => {
  const code = () => page.getByLabel("DAG document (YAML)");
  /** Puts `lines` in the editor, as typed text replaces a selection. */
  async function write(lines: string[]) {
    await code().click();
    await page.keyboard.press("Control+a");
    await code().fill(lines.join("\n"));
  }

  it("highlights YAML, and tasks' Python, JavaScript and SQL in their own languages, with line numbers", async () => {
    await page.setViewportSize({ width: 1440, height: 960 });
    await page.goto(`${ws()}/dags/polyglot/edit`);
    await page.getByRole("tab", { name: "Code" }).click();
    await code().waitFor();
    // biome-ignore lint/performance/useDomNodeTextContent: CodeMirror's lines are elements; innerText puts the newlines between them
    const text = await code().innerText();
    expect(text).toContain("operator: python");
    // Line numbers in the gutter, one per line of the document.
    const lines = await page.locator(".cm-content .cm-line").count();
    expect(lines).toBeGreaterThan(20);
    await expect
      .poll(() => page.locator(".cm-lineNumbers .cm-gutterElement").allInnerTexts())
      .toContain(String(lines));
    // Keywords of each language are tokens of their own (a YAML block scalar would be one string).
    const token = (word: string) => page.locator(".cm-content span", { hasText: new RegExp(`^${word}$`) });
    await expect.poll(() => token("def").count(), { timeout: 30_000 }).toBeGreaterThan(0); // Python
    await expect.poll(() => token("return").count(), { timeout: 30_000 }).toBeGreaterThan(0); // Python and JavaScript
    await expect.poll(() => token("const").count(), { timeout: 30_000 }).toBeGreaterThan(0); // JavaScript
    // Styled apart from the text around them.
    const [keyword, plain] = await Promise.all([
      token("def")
        .first()
        .evaluate((e) => getComputedStyle(e).color),
      page.locator(".cm-content").evaluate((e) => getComputedStyle(e).color),
    ]);
    expect(keyword).not.toBe(plain);
    await screenshot(page, "code-editor-languages");
    // The SQL task comes last: lines are drawn as they scroll into view.
    await code().click();
    await page.keyboard.press("Control+End");
    await expect.poll(() => token("select").count(), { timeout: 30_000 }).toBeGreaterThan(0); // SQL
  });

  it("completes keys from the DAG schema and explains them on hover", async () => {
    await write(["id: polyglot", "tasks:", "  - id: fetch", "    operator: http", "    retr"]);
    await page.keyboard.press("End");
    await page.keyboard.press("Control+Space");
    const options = page.locator(".cm-tooltip-autocomplete li");
    await expect
      .poll(() => options.allInnerTexts(), { timeout: 15_000 })
      .toContainEqual(expect.stringContaining("retries"));
    await page.keyboard.press("Escape");
    await page
      .locator(".cm-content span", { hasText: /^operator$/ })
      .first()
      .hover();
    await expect
      .poll(() => page.locator(".cm-tooltip-hover").textContent(), { timeout: 15_000 })
      .toMatch(/\S/);
  });

  it("underlines the problems the server finds where they are, and syntax errors as typed", async () => {
    await write([
      "id: polyglot",
      "tasks:",
      "  - id: fetch",
      "    operator: noop",
      "  - id: load",
      "    operator: noop",
      "    dependsOn: [fetch, missing_task]",
    ]);
    const underlined = page.locator(".cm-lintRange-error");
    await expect.poll(() => underlined.allInnerTexts(), { timeout: 15_000 }).toEqual(["missing_task"]);
    await page.getByText("1 problem").waitFor();
    await write(["id: polyglot", "tasks: [", "  - id: fetch"]);
    await page.getByText("The text cannot be read").waitFor();
    await expect.poll(() => underlined.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
  });
});
