// Where the client commands reach a Baton: a URL and an API token. Strongest first: --url and
// --token; BATON_URL and BATON_TOKEN; the profile named by --profile (or BATON_PROFILE); the
// default profile. `baton login` saves profiles in the user's config directory (BATON_CONFIG_DIR,
// else $XDG_CONFIG_HOME/baton, else ~/.config/baton; %APPDATA%\baton on Windows), in
// `config.json`, which only its owner may read (mode 0600, in a 0700 directory): it holds tokens.
// These are settings of the client, not of a Baton server.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { type BatonClient, createBatonClient } from "@/server/client";
import { type Cli, ExitError, exitCodes } from "../program";

export const profileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "Profile names are letters, digits, _, . and -");
const profileSchema = z.object({
  url: z.string(),
  token: z.string(),
  /** The token's workspace when it was saved, for `baton whoami` and listings. */
  workspace: z.string().optional(),
});
const profilesSchema = z.object({
  default: z.string().optional(),
  profiles: z.record(z.string(), profileSchema).default({}),
});
export type Profile = z.infer<typeof profileSchema>;
export type Profiles = z.infer<typeof profilesSchema>;

type Env = Record<string, string | undefined>;

export function configDir(env: Env): string {
  if (env.BATON_CONFIG_DIR) return env.BATON_CONFIG_DIR;
  if (process.platform === "win32" && env.APPDATA) return path.join(env.APPDATA, "baton");
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), ".config"), "baton");
}

const configFile = (env: Env) => path.join(configDir(env), "config.json");

export function readProfiles(env: Env): Profiles {
  const file = configFile(env);
  if (!existsSync(file)) return { profiles: {} };
  const parsed = profilesSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success)
    throw new ExitError(exitCodes.failure, `${file} is not a baton config file; remove it`);
  return parsed.data;
}

/** Writes the profiles readable by their owner only: a new file is created 0600, then renamed. */
export function writeProfiles(env: Env, profiles: Profiles): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = configFile(env);
  const next = `${file}.${process.pid}.tmp`;
  writeFileSync(next, `${JSON.stringify(profiles, null, 2)}\n`, { mode: 0o600 });
  chmodSync(next, 0o600);
  renameSync(next, file);
  return file;
}

export interface Connection {
  url: string;
  token: string;
  /** The profile it came from, if any. */
  profile?: string;
}

/** The URL and token a command uses (see the module header), or a usage error saying how to set one. */
export function resolveConnection(command: Command, env: Env): Connection {
  const options = command.optsWithGlobals() as { url?: string; token?: string; profile?: string };
  const named = options.profile ?? env.BATON_PROFILE;
  const profiles = readProfiles(env);
  const profileKey = named ?? profiles.default;
  const profile = profileKey ? profiles.profiles[profileKey] : undefined;
  if (named && !profile) {
    throw new ExitError(
      exitCodes.usage,
      `no profile "${named}"; save one with \`baton login --profile ${named}\``,
    );
  }
  const url = options.url ?? env.BATON_URL ?? profile?.url;
  const token = options.token ?? env.BATON_TOKEN ?? profile?.token;
  if (!url || !token) {
    throw new ExitError(
      exitCodes.usage,
      `say which Baton to talk to: \`baton login --url https://baton.example.com\` once, or BATON_URL and BATON_TOKEN (or --url and --token)${url ? ": a token is missing" : ""}`,
    );
  }
  return { url, token, ...(profile && profileKey ? { profile: profileKey } : {}) };
}

/** The typed API client for a command's connection; 429s are waited out with a note. */
export function apiFor(
  cli: Cli,
  command: Command,
  connection = resolveConnection(command, cli.io.env),
): BatonClient {
  return createBatonClient({
    url: connection.url,
    token: connection.token,
    ...(cli.io.fetch ? { fetch: cli.io.fetch } : {}),
    onRateLimited: (seconds) => cli.note(`Rate limited by the Baton; trying again in ${seconds} s…`),
  });
}
