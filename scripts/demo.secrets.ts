import { randomBytes } from 'node:crypto';

/** The keys and vendor secrets a demo-like run needs: the environment's, or generated for this run. */
export interface DemoSecrets {
  apiKey: string;
  adminKey: string;
  stripeSecret: string;
  stripeKey: string;
  hubspotToken: string;
  hubspotSecret: string;
  /** Names of the variables generated here (not given by the caller's environment). */
  generated: ReadonlySet<string>;
}

/**
 * Fills API_KEY, ADMIN_API_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_KEY, HUBSPOT_ACCESS_TOKEN and
 * HUBSPOT_CLIENT_SECRET into `env` where they are unset, with random throwaway values (shared by
 * `npm run demo` and the newman run, so both boot the app the same way).
 */
export function demoSecrets(env: NodeJS.ProcessEnv): DemoSecrets {
  const generated = new Set<string>();
  const fill = (name: string, make: () => string): string => {
    if (!env[name]?.trim()) {
      env[name] = make();
      generated.add(name);
    }
    return env[name];
  };
  const hex = (n: number) => randomBytes(n).toString('hex');
  const first = (list: string) => list.split(',')[0].trim();
  return {
    apiKey: first(fill('API_KEY', () => `demo-read-${hex(12)}`)),
    adminKey: first(fill('ADMIN_API_KEY', () => `demo-admin-${hex(12)}`)),
    stripeSecret: fill('STRIPE_WEBHOOK_SECRET', () => `whsec_demo${hex(16)}`),
    stripeKey: fill('STRIPE_API_KEY', () => `sk_test_demo${hex(12)}`),
    hubspotToken: fill('HUBSPOT_ACCESS_TOKEN', () => `demo-hubspot-${hex(12)}`),
    hubspotSecret: fill('HUBSPOT_CLIENT_SECRET', () => `demo-hubspot-secret-${hex(12)}`),
    generated,
  };
}
