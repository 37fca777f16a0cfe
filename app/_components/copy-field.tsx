"use client";
import { useState } from "react";
import { Button } from "./button";
import { Field } from "./field";

/** A read-only value with a Copy button (tokens, invitation links). */
export function CopyField({
  label,
  value,
  copyLabel = "Copy",
}: {
  label: string;
  value: string;
  copyLabel?: string;
}) {
  const [status, setStatus] = useState("");
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setStatus("Copied to the clipboard.");
    } catch {
      setStatus("Could not copy automatically: select the text and copy it.");
    }
  }
  return (
    <div>
      <div className="flex items-end gap-2">
        <Field
          label={label}
          value={value}
          readOnly
          onFocus={(event) => event.currentTarget.select()}
          className="min-w-0 flex-1"
          spellCheck={false}
        />
        <Button variant="secondary" onClick={copy}>
          {copyLabel}
        </Button>
      </div>
      <p aria-live="polite" className="mt-1 min-h-4 text-xs text-slate-500">
        {status}
      </p>
    </div>
  );
}
