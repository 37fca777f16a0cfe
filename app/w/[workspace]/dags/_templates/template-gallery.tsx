"use client";
// The templates an empty workspace offers: each opens the editor filled in with it.
import Link from "next/link";
import { useWorkspace } from "@/app/_components/shell";
import { buttonClass } from "@/app/_components/styles";
import { dagTemplates } from "./templates";

export function TemplateGallery() {
  const { slug } = useWorkspace();
  return (
    <section aria-labelledby="templates-heading" className="mt-6 text-left">
      <h3 id="templates-heading" className="mb-3 text-sm font-semibold text-slate-900">
        Or start from a template
      </h3>
      <ul className="grid gap-3 sm:grid-cols-2">
        {dagTemplates.map((template) => (
          <li
            key={template.key}
            aria-label={template.title}
            className="flex flex-col rounded-lg bg-white p-4 shadow-xs ring-1 ring-slate-200"
          >
            <p className="text-sm font-semibold text-slate-900">{template.title}</p>
            <p className="mt-1 flex-1 text-sm text-slate-600">{template.summary}</p>
            <p className="mt-2 text-xs text-slate-500">
              {template.document.tasks.length} tasks
              {template.needs && <> · needs {template.needs}</>}
            </p>
            <Link
              href={`/w/${slug}/dags/new?template=${template.key}`}
              className={`${buttonClass("secondary", "sm")} mt-3 self-start`}
            >
              Use this template<span className="sr-only">: {template.title}</span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
