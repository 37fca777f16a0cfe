// The workspace commands of `baton`: everything a user of a Baton does from a terminal or a CI
// job, over the REST API with a URL and an API token (docs/cli.md, "Using a Baton"). They go
// through the typed client generated from the OpenAPI document and import nothing of the server
// but shared shapes, so the client build (`npm run build:cli`) carries no database driver.
import type { Command } from "commander";
import type { Cli } from "../program";
import { registerAgentCommand } from "./agent";
import { registerConfigCommands } from "./config";
import { type LocalValidator, registerDagCommands } from "./dags";
import { registerLoginCommands } from "./login";
import { registerPoolCommands } from "./pools";
import { registerRunCommands } from "./runs";
import { registerScheduleCommands } from "./schedule";
import { registerSyncCommand } from "./sync";
import { registerTokenCommands } from "./tokens";
import { registerWebhookCommands } from "./webhooks";

export function registerRemoteCommands(
  program: Command,
  cli: Cli,
  options: { localValidate?: LocalValidator } = {},
) {
  registerLoginCommands(program, cli);
  registerDagCommands(program, cli, options.localValidate);
  registerSyncCommand(program, cli);
  registerRunCommands(program, cli);
  registerScheduleCommands(program, cli);
  registerWebhookCommands(program, cli);
  registerConfigCommands(program, cli);
  registerTokenCommands(program, cli);
  registerPoolCommands(program, cli);
  registerAgentCommand(program, cli);
}
