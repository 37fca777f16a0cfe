// Finds a Chromium for the Playwright tests, installing one if needed, and says what it did:
// BATON_CHROMIUM_PATH, else an installed Chromium/Chrome, else Debian's `chromium` through
// apt-get (as root, where apt works), else Playwright's own download.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { env } from "@/server/config";

const candidates = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

function playwrightChromium(): string | undefined {
  const cache = process.env.PLAYWRIGHT_BROWSERS_PATH ?? path.join(os.homedir(), ".cache", "ms-playwright");
  if (!existsSync(cache)) return undefined;
  for (const dir of readdirSync(cache)
    .filter((d) => d.startsWith("chromium-"))
    .sort()
    .reverse()) {
    const binary = path.join(cache, dir, "chrome-linux", "chrome");
    if (existsSync(binary)) return binary;
  }
  return undefined;
}

export function findBrowser(log: (line: string) => void): string {
  const configured = env.BATON_CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`BATON_CHROMIUM_PATH=${configured} does not exist`);
    log(`browser: ${configured} (from BATON_CHROMIUM_PATH)`);
    return configured;
  }
  const found = candidates.find(existsSync) ?? playwrightChromium();
  if (found) {
    log(`browser: ${found} (already installed)`);
    return found;
  }
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (isRoot && hasApt) {
    log("browser: none installed; installing Debian's chromium with apt-get…");
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (existsSync("/usr/bin/chromium")) {
      log("browser: /usr/bin/chromium (installed with apt-get)");
      return "/usr/bin/chromium";
    }
  }
  log("browser: none installed and apt-get unavailable; downloading Playwright's Chromium…");
  execFileSync("npx", ["playwright-core", "install", "chromium"], { stdio: "inherit" });
  const downloaded = playwrightChromium();
  if (!downloaded) throw new Error("Could not find or install a Chromium for the browser tests");
  log(`browser: ${downloaded} (Playwright's download)`);
  return downloaded;
}
