"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { focusRing } from "@/app/_components/styles";

const sections = [
  {
    label: "Workspaces",
    href: "/admin",
    current: (path: string) => path === "/admin" || path.startsWith("/admin/workspaces"),
  },
  { label: "Plans", href: "/admin/plans", current: (path: string) => path.startsWith("/admin/plans") },
];

export function AdminNav() {
  const pathname = usePathname();
  return (
    <nav
      aria-label="Platform console"
      className="border-b border-slate-200 px-4 py-4 md:w-56 md:shrink-0 md:border-r md:border-b-0 md:py-6"
    >
      <div className="mb-4 hidden px-2 md:block">
        <p className="text-sm font-semibold text-slate-900">Platform console</p>
        <p className="mt-1 text-xs text-slate-500">Every workspace of this installation</p>
      </div>
      <ul className="flex gap-1 overflow-x-auto md:flex-col">
        {sections.map((section) => {
          const active = section.current(pathname);
          return (
            <li key={section.href}>
              <Link
                href={section.href}
                aria-current={active ? "page" : undefined}
                className={`block rounded-md px-2 py-1.5 text-sm font-medium whitespace-nowrap ${focusRing} ${
                  active
                    ? "bg-indigo-50 text-indigo-700"
                    : "text-slate-700 hover:bg-slate-100 hover:text-slate-900"
                }`}
              >
                {section.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
