import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
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
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
