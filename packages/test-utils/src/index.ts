export { type MswServer, type RecordedRequest, startMswServer } from "./msw-server.js";
