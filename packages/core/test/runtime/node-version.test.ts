import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/index.js";
import { assertSupportedNode, isNodeVersionAtLeast, REQUIRED_NODE_VERSION } from "../../src/internal.js";

describe("Node.js version check", () => {
  it("compares versions numerically, with or without a leading v", () => {
    expect(isNodeVersionAtLeast("22.19.0", "22.19.0")).toBe(true);
    expect(isNodeVersionAtLeast("v22.19.1", "22.19.0")).toBe(true);
    expect(isNodeVersionAtLeast("22.20.0", "22.19.0")).toBe(true);
    expect(isNodeVersionAtLeast("24.0.0", "22.19.0")).toBe(true);
    expect(isNodeVersionAtLeast("22.18.9", "22.19.0")).toBe(false);
    expect(isNodeVersionAtLeast("22.9.0", "22.19.0")).toBe(false);
    expect(isNodeVersionAtLeast("20.20.2", "22.19.0")).toBe(false);
    expect(isNodeVersionAtLeast("garbage", "22.19.0")).toBe(false);
  });

  it("accepts the running Node (the tests run on a supported one)", () => {
    expect(() => assertSupportedNode()).not.toThrow();
  });

  it("refuses an older Node with a ConfigError naming both versions", () => {
    let thrown: unknown;
    try {
      assertSupportedNode("20.20.2");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const err = thrown as ConfigError;
    expect(err.code).toBe("CONFIG_ERROR");
    expect(err.message).toContain("runs Node.js 20.20.2");
    expect(err.message).toContain(`Node.js ${REQUIRED_NODE_VERSION} or later`);
    expect(err.hint).toMatch(/Upgrade Node\.js/);
    expect(() => assertSupportedNode("22.18.0")).toThrow(ConfigError);
  });
});
