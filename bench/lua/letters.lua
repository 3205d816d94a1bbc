-- Letters through the web tier, as browsers send them.
--
-- args: sessions_file mode quota
--   sessions_file: lines "cookie<TAB>csrf<TAB>write path<TAB>url-encoded letter fields", all
--   from one browser session (so any answer's cookie goes with the one CSRF token)
--   mode "write": only the letter form (Continue), answered by a redirect to the check page.
--   mode "send": Continue, then Send for each letter, answered by a redirect to the sent page;
--   each thread stops once it has sent its quota of letters.
local sessions = {}
local mode = "write"
local quota = 0
local counter = 0
local pending = {}
local sent = 0
local thread_id = 0

local threads = {}
unexpected = 0  -- answers that were not the redirect a valid letter gets (read by done)

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do
    local cookie, csrf, path, fields = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
    sessions[#sessions + 1] = {cookie = cookie, csrf = csrf, path = path, fields = fields}
  end
  mode = args[2] or "write"
  quota = tonumber(args[3] or "0")
  math.randomseed(os.time() + id * 7919)
end

local function form_post(path, cookie, body)
  return wrk.format("POST", path, {
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function request()
  if mode == "send" and #pending > 0 then
    local item = table.remove(pending)
    return form_post(item.path, item.cookie, "csrf_token=" .. item.csrf)
  end
  counter = counter + 1
  local s = sessions[(counter + id) % #sessions + 1]
  local tag = id .. "x" .. counter .. "x" .. math.random(1000000000)
  local body = s.fields .. "&csrf_token=" .. s.csrf .. "&form_token=t" .. tag ..
      "&email=bench" .. tag .. "%40example.org&name=Bench+Supporter+" .. counter
  return form_post(s.path, s.cookie, body)
end

function response(status, headers, body)
  local location = headers["Location"] or ""
  if status ~= 302 then
    unexpected = unexpected + 1
    return
  end
  if mode == "send" then
    if location:find("/check/") then
      -- The answer's session cookie now names this letter; every line shares one CSRF token.
      local cookie = (headers["Set-Cookie"] or ""):match("^([^;]*)")
      local path = location:gsub("^https?://[^/]+", "")
      pending[#pending + 1] = {path = path, cookie = cookie, csrf = sessions[1].csrf}
    elseif location:find("/sent/") then
      sent = sent + 1
      if sent >= quota then
        wrk.thread:stop()
      end
    end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  io.write(string.format("Unexpected answers: %d\n", total))
end
