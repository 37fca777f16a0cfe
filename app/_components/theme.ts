// The colour theme a person chose: light, dark, or as the system says (the default). A cookie,
// read by the root layout on the server and written by the header's switch (theme-switch.tsx).
export const THEME_COOKIE = "baton-theme";
export const themes = ["system", "light", "dark"] as const;
export type Theme = (typeof themes)[number];

/** The class the root element carries for a chosen theme (none follows the system). */
export function themeClass(theme: string | undefined): "light" | "dark" | undefined {
  return theme === "light" || theme === "dark" ? theme : undefined;
}
