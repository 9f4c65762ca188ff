--[[
  clearServerState: deletes one server's info and workers hash.       (mirrors asynq internal/rdb/rdb.go clearServerStateCmd)

  Input:
    KEYS[1] asynq:servers:{<host>:<pid>:<server_id>}
    KEYS[2] asynq:workers:{<host>:<pid>:<server_id>}

  Output:
    OK  deleted (also when the keys did not exist)
]]
redis.call("DEL", KEYS[1], KEYS[2])
return redis.status_reply("OK")
