package store

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The item layout: every pk/sk/gsi pattern of every table, in one place.
// docs/data-model.md describes the same layout; keep the two in step.
//
// State table (pk, sk; gsi1):
//
//	key          KEY#<hash>          KEY              gsi1 KEYS / OWNER#<user_id>#<hash>
//	key by team  KEY#<hash>          TEAM             gsi1 KEYS / TEAM#<team_id>#<hash>  (copy of the key)
//	user         USER#<user_id>      USER             gsi1 USERS / <user_id>
//	team         TEAM#<team_id>      TEAM             gsi1 TEAMS / <team_id>
//	member       TEAM#<team_id>      MEMBER#<user_id> gsi1 USERTEAMS#<user_id> / <team_id>
//	organization ORG#<org_id>        ORG              gsi1 ORGS / <org_id>
//	org member   ORG#<org_id>        MEMBER#<user_id> gsi1 USERORGS#<user_id> / <org_id>
//	model        MODEL#<model_id>    MODEL            gsi1 MODELS / <model_id>
//	session      SESSION#<id>        SESSION          gsi1 SESSIONS#<owner> / <created>#<id>
//	message      SESSION#<id>        MSG#<seq:12>
//	counter      CTR#<counter>       CTR
//	lease        LEASE#<counter>     LEASE
//	cooldown     COOLDOWN#<group>    <deployment>
//
// Spend table (pk, sk; gsi1..gsi3): DAY#<yyyy-mm-dd>#<shard> / <time>#<request_id>,
// gsi1 KEY#<hash>, gsi2 USER#<user_id>, gsi3 TEAM#<team_id>, each with the
// same <time>#<request_id> sort key.
//
// Cache table (pk): CACHE#<key>.
const (
	skKey     = "KEY"
	skKeyTeam = "TEAM"
	skUser    = "USER"
	skTeam    = "TEAM"
	skOrg     = "ORG"
	skModel   = "MODEL"
	skSession = "SESSION"
	skCounter = "CTR"
	skLease   = "LEASE"

	gsiKeys     = "KEYS"
	gsiUsers    = "USERS"
	gsiTeams    = "TEAMS"
	gsiOrgs     = "ORGS"
	gsiModels   = "MODELS"
	memberPrefx = "MEMBER#"
	msgPrefix   = "MSG#"
)

func pkKey(hash string) string               { return "KEY#" + hash }
func pkUser(id string) string                { return "USER#" + id }
func pkTeam(id string) string                { return "TEAM#" + id }
func pkOrg(id string) string                 { return "ORG#" + id }
func pkModel(id string) string               { return "MODEL#" + id }
func gsiUserOrgs(user string) string         { return "USERORGS#" + user }
func pkSession(id string) string             { return "SESSION#" + id }
func pkCounter(key string) string            { return "CTR#" + key }
func pkLease(key string) string              { return "LEASE#" + key }
func pkCooldown(group string) string         { return "COOLDOWN#" + group }
func pkCache(key string) string              { return "CACHE#" + key }
func gsiOwnerKeys(user string) string        { return "OWNER#" + user + "#" }
func gsiTeamKeys(team string) string         { return "TEAM#" + team + "#" }
func gsiUserTeams(user string) string        { return "USERTEAMS#" + user }
func gsiSessions(owner string) string        { return "SESSIONS#" + owner }
func skMember(user string) string            { return memberPrefx + user }
func skMessage(seq int64) string             { return msgPrefix + pad(seq) }
func spendSK(t time.Time, rid string) string { return sortTime(t) + "#" + rid }

// SpendShards is how many partitions a day's spend records are spread
// over, by request id: one partition takes about 1,000 writes a second, so
// a day holds 16,000 spend records a second before it throttles.
const SpendShards = 16

// pkSpendDay is the partition of a record of day t with request id rid:
// DAY#<date>#<shard>.
func pkSpendDay(t time.Time, rid string) string {
	h := fnv.New32a()
	h.Write([]byte(rid))
	return pkSpendDayShard(t, int(h.Sum32()%SpendShards))
}

func pkSpendDayShard(t time.Time, shard int) string {
	return "DAY#" + t.UTC().Format(time.DateOnly) + "#" + strconv.Itoa(shard)
}

// spendDayPartitions are every partition of day t's records: its shards,
// then DAY#<date>, where records written before the day was sharded are.
func spendDayPartitions(t time.Time) []string {
	pks := make([]string, 0, SpendShards+1)
	for i := range SpendShards {
		pks = append(pks, pkSpendDayShard(t, i))
	}
	return append(pks, "DAY#"+t.UTC().Format(time.DateOnly))
}

// sortTime formats t so that sort keys order by time: fixed width, UTC.
func sortTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func pad(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) >= 12 {
		return s
	}
	return strings.Repeat("0", 12-len(s)) + s
}

// maxID bounds every id that becomes part of a key.
const maxID = 512

// checkID validates an id that becomes part of a pk or sk: non-empty, at
// most 512 bytes, no '#' (the key separator) and no control characters.
func checkID(what, id string) error {
	if id == "" {
		return invalid("%s is empty", what)
	}
	if len(id) > maxID {
		return invalid("%s is %d bytes, the limit is %d", what, len(id), maxID)
	}
	for _, r := range id {
		if r == '#' || unicode.IsControl(r) {
			return invalid("%s %q contains %q", what, id, r)
		}
	}
	return nil
}

// checkOptionalID is checkID for ids that may be empty.
func checkOptionalID(what, id string) error {
	if id == "" {
		return nil
	}
	return checkID(what, id)
}
