"use client";
// Light, dark, or as the system says (the default). The choice is a cookie that the root layout
// reads, so the page arrives in its colours: no script runs before paint, so there is no flash and
// nothing for the content security policy to allow. The colours themselves: globals.css.
import { useEffect, useId, useState } from "react";
import { control } from "./styles";
import { THEME_COOKIE, type Theme, themeClass, themes } from "./theme";

const labels: Record<Theme, string> = { system: "System theme", light: "Light", dark: "Dark" };

export function ThemeSwitch() {
  const id = useId();
  const [theme, setTheme] = useState<Theme>("system");
  // Disabled until hydrated: a choice made before would change nothing.
  const [ready, setReady] = useState(false);
  // What the server rendered (the root's class), once in the browser.
  useEffect(() => {
    setReady(true);
    setTheme(themeClass(document.documentElement.className.match(/\b(light|dark)\b/)?.[1]) ?? "system");
  }, []);
  function choose(next: Theme) {
    setTheme(next);
    // biome-ignore lint/suspicious/noDocumentCookie: a plain preference cookie; the Cookie Store API is not in every browser
    document.cookie = `${THEME_COOKIE}=${next}; path=/; max-age=${400 * 24 * 3600}; samesite=lax`;
    document.documentElement.classList.remove("light", "dark");
    const chosen = themeClass(next);
    if (chosen) document.documentElement.classList.add(chosen);
  }
  return (
    <>
      <label htmlFor={id} className="sr-only">
        Theme
      </label>
      <select
        id={id}
        value={theme}
        disabled={!ready}
        onChange={(event) => choose(event.target.value as Theme)}
        className={`${control} w-auto py-1 pr-7 text-xs`}
      >
        {themes.map((t) => (
          <option key={t} value={t}>
            {labels[t]}
          </option>
        ))}
      </select>
    </>
  );
}
