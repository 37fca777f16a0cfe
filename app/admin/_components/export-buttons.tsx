"use client";
// "Export CSV" and "Export JSON" for a console list: each asks the API for the file, saves it
// through the browser, and says why when it could not.
import { useState } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { errorMessage } from "@/app/_components/errors";
import { downloadFile } from "./download";

export type ExportFormat = "csv" | "json";

export function ExportButtons({
  fetchFile,
}: {
  fetchFile: (format: ExportFormat) => Promise<{ filename: string; contentType: string; body: string }>;
}) {
  const [pending, setPending] = useState<ExportFormat | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function download(format: ExportFormat) {
    setPending(format);
    setError(null);
    try {
      downloadFile(await fetchFile(format));
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(null);
    }
  }
  return (
    <>
      <div className="flex gap-2">
        {(["csv", "json"] as const).map((format) => (
          <Button
            key={format}
            variant="secondary"
            pending={pending === format}
            pendingLabel="Exporting…"
            onClick={() => download(format)}
          >
            Export {format.toUpperCase()}
          </Button>
        ))}
      </div>
      {error ? (
        <Alert tone="error" title="Could not export" className="basis-full">
          {errorMessage(error)}
        </Alert>
      ) : null}
    </>
  );
}
