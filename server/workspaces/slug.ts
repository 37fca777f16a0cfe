import { randomBytes } from "node:crypto";

/** "Acme Data Team" → "acme-data-team"; a short random suffix keeps slugs unique. */
export function slugify(name: string, withSuffix: boolean): string {
  const base =
    name
      .normalize("NFKD")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "workspace";
  return withSuffix ? `${base}-${randomBytes(3).toString("hex")}` : base;
}
