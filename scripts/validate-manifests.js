// Validates rendered Kubernetes manifests (multi-document YAML files) offline, in two passes:
//  1. each object against its kind's OpenAPI schema (npm kubernetes-models; ServiceMonitor from
//     @kubernetes-models/prometheus-operator): wrong types, bad enums and missing required fields fail;
//  2. the conventions the chart promises, which a schema cannot see: gRPC Service port, probes, drain budget,
//     locked-down security context, config checksum, no secrets in command lines.
// Usage: node validate-manifests.js FILE...   (NODE_PATH points at the node_modules holding the packages)
'use strict';
const fs = require('fs');
const YAML = require('yaml');

function modelFor(apiVersion, kind) {
  const module = apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${apiVersion}`
    : `kubernetes-models/${apiVersion}`;
  let exports;
  try {
    exports = require(module);
  } catch (e) {
    return null;
  }
  return exports[kind] || null;
}

// "500ms", "5s", "2m", "1h" in milliseconds (the forms the chart's schema allows).
function durationMs(text) {
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(text || '');
  if (!m) return NaN;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2]];
}

function flagValue(args, flag) {
  const arg = (args || []).find((a) => a.startsWith(`${flag}=`));
  return arg === undefined ? undefined : arg.slice(flag.length + 1);
}

function checkService(svc, problems) {
  const ports = svc.spec.ports || [];
  const grpc = ports.find((p) => p.name === 'grpc');
  if (!grpc) problems.push('has no port named grpc');
  else if (grpc.appProtocol !== 'grpc') problems.push('port grpc lacks appProtocol: grpc');
}

function checkDeployment(dep, problems) {
  const pod = dep.spec.template.spec;
  const psc = pod.securityContext || {};
  if (psc.runAsNonRoot !== true) problems.push('pod securityContext.runAsNonRoot is not true');
  if (!psc.seccompProfile || psc.seccompProfile.type !== 'RuntimeDefault') {
    problems.push('pod seccompProfile is not RuntimeDefault');
  }
  if (!pod.topologySpreadConstraints) problems.push('no topologySpreadConstraints');
  for (const c of pod.containers) {
    const sc = c.securityContext || {};
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${c.name}: root filesystem is writable`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${c.name}: privilege escalation allowed`);
    const drop = (sc.capabilities && sc.capabilities.drop) || [];
    if (!drop.includes('ALL')) problems.push(`${c.name}: capabilities do not drop ALL`);
    if (!c.resources || !c.resources.requests) problems.push(`${c.name}: no resource requests`);
    for (const flag of ['--aws-secret-access-key', '--page-token-key']) {
      if ((c.args || []).some((a) => a.startsWith(flag))) problems.push(`${c.name}: secret passed as ${flag}`);
    }
    const expected = { livenessProbe: 'liveness', readinessProbe: 'readiness', startupProbe: 'liveness' };
    for (const [probe, service] of Object.entries(expected)) {
      const p = c[probe];
      if (!p) {
        problems.push(`${c.name}: no ${probe}`);
      } else if (p.grpc) {
        if (typeof p.grpc.port !== 'number') problems.push(`${c.name}: ${probe} gRPC port is not numeric`);
        if (p.grpc.service !== service) problems.push(`${c.name}: ${probe} asks service ${p.grpc.service}`);
        if ((c.args || []).some((a) => a.startsWith('--tls-cert'))) {
          problems.push(`${c.name}: ${probe} is a gRPC probe on a TLS port (the kubelet cannot do TLS)`);
        }
      } else if (!p.httpGet) {
        problems.push(`${c.name}: ${probe} is neither gRPC nor HTTP`);
      }
    }
    const drain = durationMs(flagValue(c.args, '--drain-delay')) + durationMs(flagValue(c.args, '--drain-timeout'));
    if (!(pod.terminationGracePeriodSeconds * 1000 > drain)) {
      problems.push(`terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} does not exceed the drain`);
    }
  }
  const usesConfigMap = (pod.volumes || []).some((v) => v.configMap);
  const annotations = dep.spec.template.metadata.annotations || {};
  if (usesConfigMap && !annotations['checksum/config']) problems.push('ConfigMap volume without checksum/config');
}

// The gateway's config file inside the ConfigMap must itself be YAML with only the file's top-level sections.
function checkConfigFile(cm, problems) {
  const text = (cm.data || {})['config.yaml'];
  if (text === undefined) {
    problems.push('no config.yaml');
    return;
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) {
    problems.push(`config.yaml is not YAML: ${doc.errors[0].message}`);
    return;
  }
  const known = ['backend_endpoints', 'routing_scopes', 'tables', 'principals'];
  for (const key of Object.keys(doc.toJS() || {})) {
    if (!known.includes(key)) problems.push(`config.yaml: unknown section ${key}`);
  }
}

let failures = 0;
let objects = 0;
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const doc of docs) {
    if (doc.errors.length) {
      console.error(`${file}: YAML error: ${doc.errors[0].message}`);
      failures++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    objects++;
    const where = `${file}: ${obj.kind}/${obj.metadata && obj.metadata.name}`;
    const Model = modelFor(String(obj.apiVersion), String(obj.kind));
    if (!Model) {
      console.error(`${where}: no schema for ${obj.apiVersion} ${obj.kind}`);
      failures++;
      continue;
    }
    const problems = [];
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(`schema: ${e.message}`);
    }
    if (obj.kind === 'Service' && obj.spec.clusterIP !== 'None') checkService(obj, problems);
    if (obj.kind === 'Deployment') checkDeployment(obj, problems);
    if (obj.kind === 'ConfigMap') checkConfigFile(obj, problems);
    for (const p of problems) console.error(`${where}: ${p}`);
    if (problems.length) failures++;
  }
}
console.log(`validate-manifests: ${objects} objects, ${failures} invalid`);
process.exit(failures === 0 && objects > 0 ? 0 : 1);
