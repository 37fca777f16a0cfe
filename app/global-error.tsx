"use client";
// The root layout itself failed: this replaces it, so it brings its own <html>.
import { ErrorMessage } from "./_components/error-message";
import { StandalonePage } from "./_components/status-page";
import "./globals.css";

export default function GlobalError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <StandalonePage>
          <ErrorMessage error={error} reset={reset} />
        </StandalonePage>
      </body>
    </html>
  );
}
