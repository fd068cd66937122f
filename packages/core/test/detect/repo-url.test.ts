import { cleanRepoUrl } from "@modeltrail/core/internal";
import { describe, expect, it } from "vitest";

describe("cleanRepoUrl", () => {
  it.each([
    ["https://user:t0ken-value@github.com/acme/repo.git", "https://github.com/acme/repo.git"],
    ["https://ghp_abcdefghijklmnop0123@github.com/acme/repo.git", "https://github.com/acme/repo.git"],
    ["https://oauth2:glpat-xyz12345@gitlab.com/g/p.git?private_token=abc#frag", "https://gitlab.com/g/p.git"],
    ["http://host:8080/r.git", "http://host:8080/r.git"],
    ["ssh://git:secretpw@host.example.com:2222/org/repo.git", "ssh://git@host.example.com:2222/org/repo.git"],
    ["ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git"],
    ["git@github.com:org/repo.git", "git@github.com:org/repo.git"],
    ["/srv/git/repo.git", "/srv/git/repo.git"],
    ["  https://github.com/acme/repo  ", "https://github.com/acme/repo"],
  ])("%s -> %s", (input, expected) => {
    expect(cleanRepoUrl(input)).toBe(expected);
  });
});
