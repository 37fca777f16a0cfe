"use client";
import { useQuery } from "@tanstack/react-query";
import { getProviders, signIn } from "next-auth/react";
import { Button } from "./button";

/** "Continue with GitHub/Google", for the OAuth providers the server has configured. */
export function OAuthButtons({ callbackUrl }: { callbackUrl: string }) {
  const { data } = useQuery({ queryKey: ["auth", "providers"], queryFn: getProviders, staleTime: Infinity });
  const providers = Object.values(data ?? {}).filter((provider) => provider.type === "oauth");
  if (providers.length === 0) return null;
  return (
    <div className="mt-6">
      <div className="flex items-center gap-3 text-xs text-slate-500" aria-hidden="true">
        <span className="h-px flex-1 bg-slate-200" />
        or
        <span className="h-px flex-1 bg-slate-200" />
      </div>
      <div className="mt-4 grid gap-2">
        {providers.map((provider) => (
          <Button key={provider.id} variant="secondary" onClick={() => signIn(provider.id, { callbackUrl })}>
            Continue with {provider.name}
          </Button>
        ))}
      </div>
    </div>
  );
}
