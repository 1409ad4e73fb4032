// TypeScript finds the declarations of an .mjs module in the .d.mts beside it; they live in
// actorhost-client.d.ts.
export * from './actorhost-client.js';
