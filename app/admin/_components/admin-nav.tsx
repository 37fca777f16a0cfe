"use client";
import { usePathname } from "next/navigation";
import { SideNavLink } from "@/app/_components/shell";

const sections = [
  {
    label: "Workspaces",
    href: "/admin",
    current: (path: string) => path === "/admin" || path.startsWith("/admin/workspaces"),
  },
  { label: "Alerts", href: "/admin/alerts", current: (path: string) => path.startsWith("/admin/alerts") },
  { label: "Users", href: "/admin/users", current: (path: string) => path.startsWith("/admin/users") },
  { label: "Plans", href: "/admin/plans", current: (path: string) => path.startsWith("/admin/plans") },
  { label: "Audit log", href: "/admin/audit", current: (path: string) => path.startsWith("/admin/audit") },
  {
    label: "Platform tokens",
    href: "/admin/tokens",
    current: (path: string) => path.startsWith("/admin/tokens"),
  },
  {
    label: "Worker pools",
    href: "/admin/worker-pools",
    current: (path: string) => path.startsWith("/admin/worker-pools"),
  },
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
              <SideNavLink href={section.href} active={active}>
                {section.label}
              </SideNavLink>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
