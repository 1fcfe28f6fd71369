-- An embedded card's view as a browser makes it: the embed, then the registry's report of
-- the article around it (a form POST to /registry/seen). Arguments after `--`: the card's
-- slug, and "report" for the reports alone or "view" for both in turn.
dofile("bench/report.lua")

local embed, report, both

function init(args)
  local body = "card=" .. args[1] .. "&url=https%3A%2F%2Fnews.example.org%2F2024%2F06%2Fstory"
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  embed = wrk.format("GET", "/embed/" .. args[1] .. "/")
  report = wrk.format("POST", "/registry/seen", headers, body)
  both = args[2] == "view"
end

local n = 0

function request()
  n = n + 1
  if both and n % 2 == 1 then
    return embed
  end
  return report
end
