//! What runs inside the store: two Lua scripts, each one atomic step on
//! the store's own clock (`TIME`), so no process compares its clock with
//! another's. Sent as EVALSHA; after a restart lost them (NOSCRIPT) the
//! `redis` crate loads them again.

use std::time::Duration;

use redis::{Connection, RedisResult, Script};

/// Records "spent for `wait`" for a route, keeping the later of what is
/// there and what is told, and tells every subscriber how long is left.
///
/// KEYS[1]: the key's word (a hash: route → until, ms of store time).
/// ARGV: route, wait in ms, channel, message prefix (the key id).
/// Returns the wait that now holds (ms), 0 when an earlier word holds
/// longer (nothing published).
const SPENT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = tonumber(ARGV[2])
local untl = now + wait
local held = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if untl <= held then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], untl)
if redis.call('PTTL', KEYS[1]) < wait then
  redis.call('PEXPIRE', KEYS[1], wait)
end
redis.call('PUBLISH', ARGV[3], ARGV[4] .. ' ' .. wait .. ' ' .. ARGV[1])
return wait
";

/// What still holds of a key's word: a flat list of route, ms left.
const HELD: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local left = tonumber(all[i + 1]) - now
  if left > 0 then
    out[#out + 1] = all[i]
    out[#out + 1] = left
  end
end
return out
";

/// Books the fleet's next paced turn (GCRA with no burst: each turn
/// `spacing` after the last booked one, or now), on the store's clock.
///
/// KEYS[1]: the key's turns (a hash: route → the next free turn, µs of
/// store time). ARGV: route, spacing in µs. Returns the µs from now
/// until the turn booked (0: go now).
const TURN: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local spacing = tonumber(ARGV[2])
local turn = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if turn < now then
  turn = now
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', turn + spacing))
redis.call('PEXPIRE', KEYS[1], math.floor((turn + spacing - now) / 1000) + 1000)
return turn - now
";

/// The three scripts, their SHA-1s computed once.
pub(crate) struct Scripts {
    spent: Script,
    held: Script,
    turn: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Scripts {
            spent: Script::new(SPENT),
            held: Script::new(HELD),
            turn: Script::new(TURN),
        }
    }

    /// Runs [`SPENT`]: the wait that holds now, zero when an earlier word
    /// held longer.
    pub(crate) fn spent(
        &self,
        con: &mut Connection,
        names: &Names,
        id: u64,
        route: &str,
        wait: Duration,
    ) -> RedisResult<u64> {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
        self.spent
            .key(names.word(id))
            .arg(route)
            .arg(ms)
            .arg(names.channel(id))
            .arg(format!("{id:016x}"))
            .invoke(con)
    }

    /// Runs [`HELD`]: each route of `id` still held, and for how long.
    pub(crate) fn held(
        &self,
        con: &mut Connection,
        names: &Names,
        id: u64,
    ) -> RedisResult<Vec<(String, Duration)>> {
        let flat: Vec<(String, u64)> = self.held.key(names.word(id)).invoke(con)?;
        Ok(flat
            .into_iter()
            .map(|(route, ms)| (route, Duration::from_millis(ms)))
            .collect())
    }

    /// Runs [`TURN`]: how long until the turn it booked for `id` on
    /// `route`, the fleet's turns `spacing` apart.
    pub(crate) fn turn(
        &self,
        con: &mut Connection,
        names: &Names,
        id: u64,
        route: &str,
        spacing: Duration,
    ) -> RedisResult<Duration> {
        let us = u64::try_from(spacing.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let wait: i64 = self
            .turn
            .key(names.turns(id))
            .arg(route)
            .arg(us)
            .invoke(con)?;
        Ok(Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
    }
}

/// How the store's keys and channels are named: `{prefix}:{<id>}:spent`,
/// the id in braces (a hash tag: on Redis Cluster a key and its channel
/// live on one slot).
#[derive(Debug, Clone)]
pub(crate) struct Names {
    prefix: String,
}

impl Names {
    pub(crate) fn new(prefix: &str) -> Self {
        Names {
            prefix: prefix.to_owned(),
        }
    }

    /// The hash that holds key `id`'s word.
    pub(crate) fn word(&self, id: u64) -> String {
        format!("{}:{{{id:016x}}}:spent", self.prefix)
    }

    /// The hash that holds key `id`'s next paced turn per route.
    pub(crate) fn turns(&self, id: u64) -> String {
        format!("{}:{{{id:016x}}}:turn", self.prefix)
    }

    /// The channel on which news of key `id` is published.
    pub(crate) fn channel(&self, id: u64) -> String {
        format!("{}:{{{id:016x}}}:news", self.prefix)
    }
}

/// A published message: `<id hex> <ms left> <route>`; `None` if it is not
/// one (a store shared with other programs may carry anything).
pub(crate) fn parse_news(text: &str) -> Option<(u64, Duration, &str)> {
    let mut parts = text.splitn(3, ' ');
    let id = u64::from_str_radix(parts.next()?, 16).ok()?;
    let ms: u64 = parts.next()?.parse().ok()?;
    let route = parts.next().unwrap_or("");
    Some((id, Duration::from_millis(ms), route))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_reads_back_what_the_script_publishes_and_refuses_anything_else() {
        assert_eq!(
            parse_news("00000000000000ff 1500 /v1/accounts"),
            Some((255, Duration::from_millis(1500), "/v1/accounts"))
        );
        assert_eq!(
            parse_news("00000000000000ff 1500 "),
            Some((255, Duration::from_millis(1500), ""))
        );
        for junk in [
            "",
            "zz 1 /",
            "ff",
            "ff -1 /",
            "ff 1.5 /",
            "ff 99999999999999999999 /",
        ] {
            assert_eq!(parse_news(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn a_key_and_its_channel_share_a_hash_tag() {
        let names = Names::new("routy");
        assert_eq!(names.word(1), "routy:{0000000000000001}:spent");
        assert_eq!(names.channel(1), "routy:{0000000000000001}:news");
    }
}
