export type { AuthRequestContext, CredentialProvider } from "./credential-provider.js";
