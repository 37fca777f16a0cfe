"use client";
// A dialog holding one form (create or edit a variable, secret or connection): the server's
// problems show next to their fields, the rest above the form.
import type { ReactNode } from "react";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { Dialog, DialogActions } from "@/app/_components/dialog";
import { Form } from "@/app/_components/form";

export function FormDialog({
  title,
  description,
  open,
  onClose,
  onValues,
  message,
  pending,
  submitLabel,
  children,
}: {
  title: string;
  description?: ReactNode;
  open: boolean;
  onClose: () => void;
  onValues: (values: Record<string, string>) => void;
  /** The error not tied to a field. */
  message: string | undefined;
  pending: boolean;
  submitLabel: string;
  children: ReactNode;
}) {
  return (
    <Dialog open={open} onClose={onClose} title={title} description={description}>
      <Form onValues={(values) => onValues(values)}>
        {message && <Alert tone="error">{message}</Alert>}
        {children}
        <DialogActions onCancel={onClose}>
          <Button type="submit" pending={pending}>
            {submitLabel}
          </Button>
        </DialogActions>
      </Form>
    </Dialog>
  );
}
