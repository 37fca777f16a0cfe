// The fields of each connection type, for the connection forms and the editor's reference picker.
// The server (server/config/connections.ts) is the judge: it validates every field and its
// problems come back as `config.<field>`, shown next to the field they name.
export type ConnectionType = "postgres" | "http" | "smtp" | "slack";

export interface ConnectionFieldSpec {
  name: string;
  label: string;
  kind: "text" | "number" | "boolean" | "json";
  /** Encrypted, write-only: shown masked, left empty to keep the stored value. */
  secret?: boolean;
  required?: boolean;
  placeholder?: string;
  hint?: string;
}

export const connectionTypes: Record<ConnectionType, { label: string; fields: ConnectionFieldSpec[] }> = {
  postgres: {
    label: "PostgreSQL",
    fields: [
      { name: "host", label: "Host", kind: "text", required: true, placeholder: "db.internal" },
      { name: "port", label: "Port", kind: "number", placeholder: "5432" },
      { name: "database", label: "Database", kind: "text", required: true },
      { name: "user", label: "User", kind: "text", required: true },
      { name: "ssl", label: "Require TLS", kind: "boolean" },
      { name: "password", label: "Password", kind: "text", secret: true },
    ],
  },
  http: {
    label: "HTTP API",
    fields: [
      {
        name: "baseUrl",
        label: "Base URL",
        kind: "text",
        required: true,
        placeholder: "https://api.example.com/v1",
      },
      { name: "authHeaderName", label: "Auth header name", kind: "text", placeholder: "Authorization" },
      {
        name: "authHeaderValue",
        label: "Auth header value",
        kind: "text",
        secret: true,
        placeholder: "Bearer …",
      },
      {
        name: "headers",
        label: "Extra headers (JSON object)",
        kind: "json",
        placeholder: '{"Accept": "application/json"}',
      },
    ],
  },
  smtp: {
    label: "SMTP (e-mail)",
    fields: [
      { name: "host", label: "Host", kind: "text", required: true },
      { name: "port", label: "Port", kind: "number", placeholder: "587" },
      {
        name: "secure",
        label: "TLS from the start (port 465)",
        kind: "boolean",
        hint: "Off: STARTTLS when the server offers it.",
      },
      { name: "user", label: "User", kind: "text" },
      {
        name: "from",
        label: "Sender address",
        kind: "text",
        required: true,
        placeholder: "baton@example.com",
      },
      { name: "password", label: "Password", kind: "text", secret: true },
    ],
  },
  slack: {
    label: "Slack webhook",
    fields: [
      {
        name: "webhookUrl",
        label: "Webhook URL",
        kind: "text",
        secret: true,
        required: true,
        placeholder: "https://hooks.slack.com/services/…",
      },
    ],
  },
};

export const connectionTypeNames = Object.keys(connectionTypes) as ConnectionType[];
