import type { Metadata } from "next";
import { cookies } from "next/headers";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { THEME_COOKIE, themeClass } from "./_components/theme";
import { Providers } from "./_lib/trpc";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Baton", template: "%s · Baton" },
  description: "Workflow orchestration for teams",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request, so that Next.js can give its scripts this response's CSP
  // nonce (proxy.ts); a page prerendered at build time would carry none and not run.
  await connection();
  // A chosen theme (else the system's, by a media query in globals.css).
  const theme = themeClass((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <html lang="en" className={theme}>
      <body className="min-h-screen font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
