import { createHash } from 'node:crypto';

/**
 * Redis scripts of the OTP service. Each runs atomically, so concurrent requests (any
 * number of API processes) see one consistent order of sends and verifications.
 */

/**
 * KEYS: cooldown, hourly send counter, code hash, hourly send counter of the client address.
 * ARGV: cooldown s, max sends per hour, HMAC of the new code ('' = apply the limits only,
 * store nothing), code TTL s, user id, max sends per hour from one client address.
 * Returns {0} when sent, {1, retryAfter} in cooldown, {2, retryAfter} over the destination's
 * hourly cap or the address's share of it. A new code replaces the old one (and its attempt
 * counter) in the same step.
 */
const ISSUE_LUA = `
local cooldown = redis.call('TTL', KEYS[1])
if cooldown > 0 then return {1, cooldown} end
local function spent(key, limit)
  if tonumber(redis.call('GET', key) or '0') < limit then return nil end
  local ttl = redis.call('TTL', key)
  if ttl < 0 then redis.call('EXPIRE', key, 3600); ttl = 3600 end
  return ttl
end
local capped = spent(KEYS[2], tonumber(ARGV[2])) or spent(KEYS[4], tonumber(ARGV[6]))
if capped then return {2, capped} end
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[1], '1', 'EX', ARGV[1]) end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], 3600) end
if redis.call('INCR', KEYS[4]) == 1 then redis.call('EXPIRE', KEYS[4], 3600) end
if ARGV[3] ~= '' then
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'h', ARGV[3], 'a', 0, 'u', ARGV[5])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
end
return {0, 0}
`;

/**
 * KEYS: code hash, failure counter of the destination, failure counter of the destination for
 * the client address, the destination's resend cooldown. ARGV: HMAC of the candidate, max wrong
 * tries per code, max wrong tries per destination per hour, max of those from one client address
 * (0 = the address is unknown).
 * Returns {0, userId} accepted (and the code deleted: single use), {1, userId} wrong code,
 * {2} no live code, {3, retryAfter} destination, or this address's share of it, over budget.
 * Every wrong code counts against the destination's total whatever the address, so many
 * addresses together still get no more guesses than the total.
 * The comparison touches every byte whatever the input (constant time).
 * An accepted code ends its cooldown too: the next request for a code then meets the state a
 * request for any address without a live code meets (a new code, or a decoy), instead of a
 * cooldown without a code that only a code just used can leave behind.
 */
const VERIFY_LUA = `
local function spent(key, limit)
  if tonumber(redis.call('GET', key) or '0') < limit then return nil end
  local ttl = redis.call('TTL', key)
  if ttl < 0 then redis.call('EXPIRE', key, 3600); ttl = 3600 end
  return ttl
end
local perAddress = tonumber(ARGV[4])
local blocked = spent(KEYS[2], tonumber(ARGV[3]))
if not blocked and perAddress > 0 then blocked = spent(KEYS[3], perAddress) end
if blocked then return {3, blocked} end
local stored = redis.call('HGET', KEYS[1], 'h')
if not stored then return {2, ''} end
local user = redis.call('HGET', KEYS[1], 'u') or ''
local candidate = ARGV[1]
local diff = 0
if #stored ~= #candidate then diff = 1 end
for i = 1, #stored do
  diff = bit.bor(diff, bit.bxor(string.byte(stored, i), string.byte(candidate, i) or 0))
end
if diff == 0 then
  redis.call('DEL', KEYS[1], KEYS[4])
  return {0, user}
end
if redis.call('HINCRBY', KEYS[1], 'a', 1) >= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], 3600) end
if perAddress > 0 and redis.call('INCR', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], 3600) end
return {1, user}
`;

/** A Lua script and its SHA-1, so callers can send EVALSHA instead of the whole text every time. */
export interface OtpScript {
  lua: string;
  sha: string;
}

function script(lua: string): OtpScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

export const ISSUE_SCRIPT = script(ISSUE_LUA);
export const VERIFY_SCRIPT = script(VERIFY_LUA);
