import type { ValidationIssue } from "@modeltrail/core";
import { isValidK8sKey, isValidLabelValue } from "@modeltrail/core/internal";

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Problems with a name that must be a DNS-1035 label (Service and container names, and the
 * Deployment name here since its Service shares it): lowercase letters, digits and `-`, starting with
 * a letter, ending with a letter or digit, at most 63 characters. Empty when valid. Never throws.
 */
export function dns1035LabelIssues(path: string, value: string): ValidationIssue[] {
  if (value.length === 0) return [{ path, message: "must not be empty" }];
  if (value.length > 63) return [{ path, message: `"${value}" is longer than 63 characters` }];
  if (!DNS1035_LABEL.test(value)) {
    return [
      {
        path,
        message: `"${value}" must consist of lowercase letters, digits and '-', start with a letter and end with a letter or digit (DNS-1035 label)`,
      },
    ];
  }
  return [];
}

/** Problems with a namespace (a DNS-1123 label). Empty when valid. Never throws. */
export function namespaceIssues(path: string, value: string): ValidationIssue[] {
  if (value.length === 0 || value.length > 63 || !DNS1123_LABEL.test(value)) {
    return [
      {
        path,
        message: `"${value}" must be a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters`,
      },
    ];
  }
  return [];
}

/** Problems with a map of labels (keys and values). Empty when valid. Never throws. */
export function labelIssues(path: string, labels: Readonly<Record<string, string>>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!isValidK8sKey(key))
      issues.push({
        path: `${path}.${key}`,
        message: "is not a valid label key ([prefix/]name, name at most 63 characters)",
      });
    if (!isValidLabelValue(value)) {
      issues.push({
        path: `${path}.${key}`,
        message: `"${value}" is not a valid label value: at most 63 characters of [A-Za-z0-9._-], starting and ending with a letter or digit`,
      });
    }
  }
  return issues;
}

/** Problems with a map of annotations (keys; values may be anything). Empty when valid. Never throws. */
export function annotationIssues(
  path: string,
  annotations: Readonly<Record<string, string>>,
): ValidationIssue[] {
  return Object.keys(annotations)
    .filter((key) => !isValidK8sKey(key))
    .map((key) => ({
      path: `${path}.${key}`,
      message: "is not a valid annotation key ([prefix/]name, name at most 63 characters)",
    }));
}

/** Problems with an environment variable name. Empty when valid. Never throws. */
export function envNameIssues(path: string, name: string): ValidationIssue[] {
  return ENV_NAME.test(name) ? [] : [{ path, message: `"${name}" is not a valid environment variable name` }];
}
