-- Letters through the web tier, as browsers send them.
--
-- args: sessions_file mode quota tokens_file
--   sessions_file: lines "cookie<TAB>csrf<TAB>write path<TAB>url-encoded letter fields", all
--   from one browser session (so any answer's cookie goes with the one CSRF token)
--   mode "write": only the letter form (Continue), answered by a redirect to the check page.
--   mode "send": Continue, then Send for each letter, answered by a redirect to the sent page;
--   each thread stops once it has sent its quota of letters.
--   mode "browser": as "send", but with the pages a browser loads too: the letter form before
--   Continue, the check page its redirect leads to (Send is pressed on it), and the sent page
--   after Send. Five requests a letter.
--   tokens_file: lines "form token<TAB>url-encoded signed time the letter page opened"; each
--   letter takes the next one (the bot check wants the page's time signed for its own form).
local sessions = {}
local tokens = {}
local offset = 0
local mode = "write"
local quota = 0
local counter = 0
local pending = {}
local owners = {}  -- browser mode: each letter's session cookie, by its public id
local pressed = {}  -- browser mode: the letters whose Send has been posted
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
  for line in io.lines(args[4]) do
    local token, opened = line:match("([^\t]*)\t(.*)")
    tokens[#tokens + 1] = {token = token, opened = opened}
  end
  math.randomseed(os.time() + id * 7919)
  -- Each run starts somewhere else in the list (the same seed for both threads of a run).
  math.randomseed(os.time())
  offset = math.random(#tokens) * 2
  math.randomseed(os.time() + id * 7919)
end

local function form_post(path, cookie, body)
  return wrk.format("POST", path, {
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

local function page(path, cookie)
  return wrk.format("GET", path, {["Cookie"] = cookie})
end

function request()
  if mode == "send" and #pending > 0 then
    local item = table.remove(pending)
    return form_post(item.path, item.cookie, "csrf_token=" .. item.csrf)
  end
  if mode == "browser" and #pending > 0 then
    local item = table.remove(pending, 1)
    if item.body then
      return form_post(item.path, item.cookie, item.body)
    end
    return page(item.path, item.cookie)
  end
  counter = counter + 1
  local s = sessions[(counter + id) % #sessions + 1]
  local tag = id .. "x" .. counter .. "x" .. math.random(1000000000)
  -- Threads take alternate tokens (two threads), so no two letters share one.
  local t = tokens[(offset + (counter - 1) * 2 + id - 1) % #tokens + 1]
  local body = s.fields .. "&csrf_token=" .. s.csrf .. "&form_token=" .. t.token ..
      "&opened=" .. t.opened ..
      "&email=bench" .. tag .. "%40example.org&name=Bench+Supporter+" .. counter
  if mode == "browser" then
    -- The letter form first, then its Continue (the next request this thread makes).
    pending[#pending + 1] = {path = s.path, cookie = s.cookie, body = body}
    return page(s.path, s.cookie)
  end
  return form_post(s.path, s.cookie, body)
end

local function letter_id(text)
  return text:match("/check/([%w_%-]+)") or text:match("/sent/([%w_%-]+)")
end

-- Browser mode: each answer leads to the next request for its letter.
local function browse(status, headers, body)
  local location = (headers["Location"] or ""):gsub("^https?://[^/]+", "")
  if status == 302 and location:find("/check/") then
    -- Continue: the answer's session cookie now names this letter.
    local cookie = (headers["Set-Cookie"] or ""):match("^([^;]+)")
    if not cookie then
      -- No new session: the form token found a letter written before, not a new one.
      unexpected = unexpected + 1
      return
    end
    owners[letter_id(location)] = cookie
    pending[#pending + 1] = {path = location, cookie = cookie}
  elseif status == 302 and location:find("/sent/") then
    local id = letter_id(location)
    if not pressed[id] then
      -- A check page that sent this browser on to the sent page: not a letter sent now.
      unexpected = unexpected + 1
      return
    end
    sent = sent + 1
    pending[#pending + 1] = {path = location, cookie = owners[id]}
    owners[id], pressed[id] = nil, nil
    if sent >= quota then
      wrk.thread:stop()
    end
  elseif status == 200 and body:find('<form method="post" action="[^"]*/check/') then
    -- The check page: press Send on its form.
    local action = body:match('<form method="post" action="([^"]*/check/[^"]*)"')
    local id = action and letter_id(action)
    if id and owners[id] then
      pressed[id] = true
      local path = action:gsub("&amp;", "&")
      pending[#pending + 1] = {
        path = path, cookie = owners[id], body = "csrf_token=" .. sessions[1].csrf,
      }
    else
      unexpected = unexpected + 1
    end
  elseif status ~= 200 then
    unexpected = unexpected + 1
  end
end

function response(status, headers, body)
  if mode == "browser" then
    return browse(status, headers, body)
  end
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
