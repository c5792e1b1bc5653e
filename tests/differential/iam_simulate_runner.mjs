#!/usr/bin/env node
// Differential-test oracle: evaluates copyguard batch requests with @cloud-copilot/iam-simulate.
//
// iam-simulate is AGPL-3.0. It is only ever run here, as a separate test-time process, from
// tests/differential/node_modules (installed with `npm ci --prefix tests/differential`).
// None of its code is copied into copyguard.
//
// Input:  JSON Lines in copyguard's `simulate --batch` format (spec section 2), on stdin or
//         from the file named by the first argument.
// Output: one JSON line per input line, same order:
//         {"id": ..., "decision": "allowed" | "implicit_deny" | "explicit_deny"}
//         or {"id": ..., "error": "..."}.
//         With --explain, lines also carry "ignored_context_keys" (keys iam-simulate dropped
//         because its data says they do not apply to the action) and "iam_simulate" (its raw
//         analysis summary), which compare.py uses to group disagreements by cause.
//
// Mapping (see KNOWN_DIVERGENCES.md and the report for the reasoning):
//   key_policy        -> resourcePolicy
//   resource          -> request.resource.resource; its account (ARN field 5) -> accountId
//   identity_policies -> identityPolicies, named identity-0, identity-1, ...
//   scps              -> serviceControlPolicies, ONE LEVEL PER POLICY (iam-simulate ORs the
//                        policies inside a level and ANDs the levels; "all must allow" means
//                        every given policy must allow, so each policy is its own level)
//   rcps              -> resourceControlPolicies, one level per policy (iam-simulate adds the
//                        AWS-managed RCPFullAWSAccess to every level, as AWS does; a statement
//                        identical to RCPFullAWSAccess's is dropped from the input, see below)
//   context           -> contextVariables, passed through unchanged (strings or lists)
//   principal         -> request.principal, unchanged
// Simulation mode: Strict (the request is evaluated exactly as supplied).

import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const DECISIONS = {
  Allowed: 'allowed',
  ImplicitlyDenied: 'implicit_deny',
  ExplicitlyDenied: 'explicit_deny'
}

const args = process.argv.slice(2)
const explain = args.includes('--explain')
const files = args.filter((a) => !a.startsWith('--'))

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function policyList(value, field) {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new Error(`${field} must be a list of policy documents`)
  value.forEach((p, i) => {
    if (!isObject(p)) throw new Error(`${field}[${i}] must be a policy document object`)
  })
  return value
}

function accountOfKeyArn(resource) {
  if (typeof resource !== 'string') throw new Error('resource must be a string ARN')
  const parts = resource.split(':')
  if (parts.length < 6 || parts[0] !== 'arn' || !/^\d{12}$/.test(parts[4])) {
    throw new Error(`resource is not an ARN with a 12-digit account: ${resource}`)
  }
  return parts[4]
}

function checkContext(context) {
  if (context === undefined || context === null) return {}
  if (!isObject(context)) throw new Error('context must be an object')
  for (const [key, value] of Object.entries(context)) {
    const ok =
      typeof value === 'string' ||
      (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    if (!ok) throw new Error(`context value for ${key} must be a string or a list of strings`)
  }
  return context
}

// iam-simulate adds the AWS-managed RCPFullAWSAccess policy to every RCP level itself, and its
// validator (like AWS) rejects Allow statements in customer RCPs. A statement that is exactly
// RCPFullAWSAccess's (Allow, Principal "*", Action "*", Resource "*", no condition) is therefore
// dropped before the hand-over: iam-simulate already applies it, so the meaning is unchanged.
function isFullAccessStatement(st) {
  const star = (v) => v === '*' || (Array.isArray(v) && v.length === 1 && v[0] === '*')
  const keys = Object.keys(st).filter((k) => k !== 'Sid')
  return (
    st.Effect === 'Allow' &&
    keys.length === 4 &&
    (star(st.Principal) || (isObject(st.Principal) && star(st.Principal.AWS))) &&
    star(st.Action) &&
    star(st.Resource)
  )
}

function withoutFullAccess(rcp) {
  const statements = Array.isArray(rcp.Statement) ? rcp.Statement : [rcp.Statement]
  const kept = statements.filter((st) => !(isObject(st) && isFullAccessStatement(st)))
  if (kept.length === statements.length) return rcp
  return kept.length === 0 ? undefined : { ...rcp, Statement: kept }
}

export function toSimulation(req) {
  if (!isObject(req)) throw new Error('request line must be a JSON object')
  if (typeof req.principal !== 'string') throw new Error('principal must be a string')
  if (typeof req.action !== 'string') throw new Error('action must be a string')
  if (!isObject(req.key_policy)) throw new Error('key_policy must be a policy document object')
  const identity = policyList(req.identity_policies, 'identity_policies')
  const scps = policyList(req.scps, 'scps')
  const rcps = policyList(req.rcps, 'rcps')
    .map(withoutFullAccess)
    .filter((p) => p !== undefined)
  return {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: accountOfKeyArn(req.resource) },
      contextVariables: checkContext(req.context)
    },
    identityPolicies: identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
    serviceControlPolicies: scps.map((policy, i) => ({
      orgIdentifier: `scp-level-${i}`,
      policies: [{ name: `scp-${i}`, policy }]
    })),
    resourceControlPolicies: rcps.map((policy, i) => ({
      orgIdentifier: `rcp-level-${i}`,
      policies: [{ name: `rcp-${i}`, policy }]
    })),
    resourcePolicy: req.key_policy
  }
}

function errorText(errors) {
  const text = JSON.stringify(errors)
  return text.length > 2000 ? `${text.slice(0, 2000)}...` : text
}

function summarize(result) {
  const analysis = result.resultType === 'single' ? result.result.analysis : undefined
  if (!analysis) return { resultType: result.resultType }
  return {
    sameAccount: analysis.sameAccount,
    identity: analysis.identityAnalysis?.result,
    resource: analysis.resourceAnalysis?.result,
    scp: analysis.scpAnalysis?.result,
    rcp: analysis.rcpAnalysis?.result,
    blockedBy: analysis.blockedBy
  }
}

async function evaluateLine(line) {
  let req
  try {
    req = JSON.parse(line)
  } catch (e) {
    return { id: null, error: `invalid JSON: ${e.message}` }
  }
  const id = isObject(req) && 'id' in req ? req.id : null
  let simulation
  try {
    simulation = toSimulation(req)
  } catch (e) {
    return { id, error: e.message }
  }
  let result
  try {
    result = await runSimulation(simulation, { simulationMode: 'Strict' })
  } catch (e) {
    return { id, error: `iam-simulate threw: ${e?.message ?? String(e)}` }
  }
  if (result.resultType === 'error') {
    return { id, error: `iam-simulate rejected the request: ${errorText(result.errors)}` }
  }
  const decision = DECISIONS[result.overallResult]
  if (!decision) return { id, error: `unknown iam-simulate result ${result.overallResult}` }
  const out = { id, decision }
  if (explain) {
    const ignored =
      result.resultType === 'single'
        ? result.result.ignoredContextKeys
        : [...new Set(result.results.flatMap((r) => r.ignoredContextKeys ?? []))]
    out.ignored_context_keys = ignored ?? []
    out.iam_simulate = summarize(result)
  }
  return out
}

async function main() {
  const input = files.length > 0 ? createReadStream(files[0]) : process.stdin
  const lines = createInterface({ input, crlfDelay: Infinity })
  let buffer = []
  for await (const line of lines) {
    if (line.trim() === '') continue
    buffer.push(JSON.stringify(await evaluateLine(line)))
    if (buffer.length >= 500) {
      process.stdout.write(buffer.join('\n') + '\n')
      buffer = []
    }
  }
  if (buffer.length > 0) process.stdout.write(buffer.join('\n') + '\n')
}

await main()
