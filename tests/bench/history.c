/* SPDX-License-Identifier: MIT */
/* A generated family's working history in the store (history.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "history.h"
#include "kartoteka.pb-c.h"
#include "model/deal_store.h"
#include "model/interaction_store.h"
#include "model/task_store.h"
#include "records.pb-c.h"

#define DAY 86400
#define SUB_DAYS 91                   /* a subscription: three months */

/* The random choices of one family: a stream of 64-bit numbers from k. */
typedef struct dice {
	uint64_t s;
} dice_t;

static uint64_t
roll(dice_t *d)
{
	uint64_t z = (d->s += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

/* A number in [lo, hi]. */
static int64_t
between(dice_t *d, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(roll(d) % (uint64_t)(hi - lo + 1));
}

/* 1 with probability 1 / n. */
static int
one_in(dice_t *d, uint64_t n)
{
	return roll(d) % n == 0;
}

/* The unix time of local midnight `days` days from now's day, plus
 * minute minutes. */
static int64_t
local_day(int64_t now, int64_t days, int minute)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday += (int)days;
	tm.tm_hour = minute / 60;
	tm.tm_min = minute % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* Days from now's local day to t's (negative: before). */
static int64_t
days_from_now(int64_t now, int64_t t)
{
	int64_t diff = t - local_day(now, 0, 0);

	return diff >= 0 ? diff / DAY : -((-diff + DAY - 1) / DAY);
}

static void
day_text(int64_t t, char out[static 11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	(void)strftime(out, 11, "%Y-%m-%d", &tm);
}

static const char *const courses[] = {
	"Рисование", "Английский для малышей", "Шахматы", "Робототехника",
	"Танцы", "Подготовка к школе", "Логопед", "Ментальная арифметика",
};
#define NCOURSES (sizeof(courses) / sizeof(courses[0]))

static const char *const active_topics[] = {
	"Пришли на занятие, всё понравилось",
	"Спросили расписание на следующий месяц",
	"Напомнили об оплате абонемента",
	"Переносят занятие на субботу",
	"Обсудили успехи ребёнка с педагогом",
	"Интересуются летним лагерем",
};
static const char *const lead_topics[] = {
	"Звонок с сайта: хотят пробное занятие",
	"Спросили цены на абонемент",
	"Пришли посмотреть центр",
};
static const char *const former_topics[] = {
	"Уезжают на дачу до осени",
	"Ребёнок потерял интерес, думают",
	"Спросили про скидку при возвращении",
};
static const char *const agreements[] = {
	"Перезвонить в пятницу",
	"Прислать расписание в мессенджер",
	"",
	"Записали на пробное занятие",
	"",
};
static const char *const task_titles[] = {
	"Перезвонить: продление абонемента",
	"Отправить расписание на новый месяц",
	"Пригласить на открытый урок",
	"Уточнить, удобно ли новое время",
	"Обещали скидку 5% на второй курс — оформить",
};
static const char *const lost_reasons[] = {
	"дорого", "далеко ездить", "выбрали другой центр",
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

int64_t
kt_history_created_at(const kt_family_t *f, int64_t now)
{
	dice_t d = { f->k * 0xD1B54A32D192ED03u + 17 };
	int64_t ago, t;

	switch (f->status) {
	case KARTOTEKA__CLIENT_STATUS__LEAD:
		ago = between(&d, 0, 240);
		break;
	case KARTOTEKA__CLIENT_STATUS__FORMER:
		ago = between(&d, 400, 730);
		break;
	default:
		ago = between(&d, 20, 730);
		break;
	}
	t = local_day(now, -ago, (int)between(&d, 9 * 60, 19 * 60));
	/* Today's new card came in before now. */
	return t < now ? t : now - 600;
}

typedef struct hist {
	kt_store_t *st;
	MDB_txn *txn;
	const kt_family_t *f;
	uint64_t client, branch, manager;
	int64_t now;
	kt_history_counts_t *n;
	dice_t d;
} hist_t;

/* One interaction at t on topic. */
static int
put_interaction(hist_t *h, int64_t t, const char *topic, int lead)
{
	Ktstore__InteractionRecord r = KTSTORE__INTERACTION_RECORD__INIT;
	int rc;

	r.client = h->client;
	r.author = h->manager;
	r.branch = h->branch;
	r.at = r.created_at = t;
	r.channel = lead ? KARTOTEKA__CHANNEL__CALL :
	    (uint32_t)between(&h->d, 1, 5);
	r.direction = lead ? KARTOTEKA__DIRECTION__INBOUND :
	    (uint32_t)between(&h->d, 1, 2);
	r.topic = (char *)topic;
	r.agreed = (char *)agreements[roll(&h->d) % N(agreements)];
	if ((rc = kt_istore_add(h->st, h->txn, &r)) != 0)
		return rc;
	h->n->interactions++;
	return 0;
}

/* A deal on course c: stage, amount in kopecks, made at created, closed
 * at closed (0: open); a subscription when from != 0 (SUB_DAYS days,
 * lessons), renewing renews. [out] *id the new deal's id. */
static int
put_deal(hist_t *h, const char *title, const char *course, uint32_t stage,
    int64_t amount, int64_t created, int64_t closed, int64_t from,
    uint32_t lessons, uint64_t renews, const char *reason, uint64_t *id)
{
	Ktstore__DealRecord r = KTSTORE__DEAL_RECORD__INIT;
	char vf[11] = "", vt[11] = "";
	int rc;

	r.client = h->client;
	r.manager = r.author = h->manager;
	r.branch = h->branch;
	r.title = (char *)title;
	r.course = (char *)course;
	r.amount = amount;
	r.currency = (char *)"RUB";
	r.stage = stage;
	r.created_at = created;
	r.closed_at = closed;
	r.updated_at = closed != 0 ? closed : created;
	r.reason = (char *)(reason != NULL ? reason : "");
	if (from != 0) {
		day_text(from, vf);
		day_text(from + (SUB_DAYS - 1) * DAY, vt);
		r.lessons = lessons;
		r.renews = renews;
	}
	r.valid_from = vf;
	r.valid_to = vt;
	if ((rc = kt_deal_add(h->st, h->txn, &r)) != 0)
		return rc;
	h->n->deals++;
	h->n->won += stage == KARTOTEKA__DEAL_STAGE__STAGE_WON;
	h->n->open_deals += stage == KARTOTEKA__DEAL_STAGE__STAGE_NEW ||
	    stage == KARTOTEKA__DEAL_STAGE__STAGE_PROGRESS;
	if (id != NULL)
		*id = r.id;
	return 0;
}

/* A task due on local day `day` (from now), done at done (0: open). */
static int
put_task(hist_t *h, int64_t day, uint32_t kind, const char *title,
    int64_t created, int64_t done)
{
	Ktstore__TaskRecord r = KTSTORE__TASK_RECORD__INIT;
	int rc;

	r.client = h->client;
	r.assignee = r.author = h->manager;
	r.branch = h->branch;
	r.all_day = one_in(&h->d, 2);
	r.due_at = local_day(h->now, day, r.all_day ? 0 :
	    (int)between(&h->d, 10, 18) * 60);
	r.title = (char *)title;
	r.kind = kind;
	r.done_at = done;
	r.created_at = created;
	r.updated_at = done != 0 ? done : created;
	if ((rc = kt_task_add(h->st, h->txn, &r)) != 0)
		return rc;
	h->n->tasks++;
	h->n->open_tasks += done == 0;
	return 0;
}

/* Some interactions between from and to (unix times), count in [lo, hi]. */
static int
put_interactions(hist_t *h, int64_t from, int64_t to, int lo, int hi,
    const char *const *topics, size_t ntopics, int lead)
{
	int k = (int)between(&h->d, lo, hi), rc;

	if (to <= from)
		to = from + 3600;
	for (int i = 0; i < k; i++) {
		int64_t t = from + (to - from) / k * i +
		    between(&h->d, 0, (to - from) / k);

		/* In working hours, 9:00 to 19:00. */
		t = local_day(h->now, days_from_now(h->now, t),
		    (int)between(&h->d, 9 * 60, 19 * 60));
		if (t > h->now)
			t = h->now - 3600;
		if ((rc = put_interaction(h, t, topics[roll(&h->d) % ntopics],
		    lead)) != 0)
			return rc;
	}
	return 0;
}

/* A chain of subscriptions every SUB_DAYS days from `first` (a local
 * day's time) up to one that starts at or before `last`. */
static int
put_subscriptions(hist_t *h, int64_t first, int64_t last)
{
	const char *course = courses[roll(&h->d) % NCOURSES];
	uint32_t lessons = one_in(&h->d, 2) ? 8 : 12;
	int64_t price = lessons == 8 ? 960000 : 1380000;
	uint64_t prev = 0;
	int rc;

	for (int64_t from = first; from <= last; from += SUB_DAYS * DAY) {
		int64_t won = from - between(&h->d, 1, 5) * DAY + 11 * 3600;
		char title[96];

		(void)snprintf(title, sizeof(title), "Абонемент: %s, %u "
		    "занятий", course, lessons);
		if ((rc = put_deal(h, title, course,
		    KARTOTEKA__DEAL_STAGE__STAGE_WON, price,
		    won - 2 * DAY, won, from, lessons, prev, NULL, &prev)) != 0)
			return rc;
	}
	return 0;
}

/* The first day of a chain that begins on or after start and has one
 * subscription starting on `last`. */
static int64_t
chain_first(int64_t start, int64_t last)
{
	return last - (last - start) / (SUB_DAYS * DAY) * (SUB_DAYS * DAY);
}

static int
active(hist_t *h, int64_t created)
{
	int64_t start = local_day(h->now, days_from_now(h->now, created) + 7,
	    0), first = start, last = h->now, quiet_from;
	int rc;

	/* One in ten stopped renewing about eleven and a half months ago. */
	if (one_in(&h->d, 10) && start < h->now - 360 * DAY) {
		last = local_day(h->now, -between(&h->d, 338, 355), 0);
		first = chain_first(start, last);
	}
	if ((rc = put_subscriptions(h, first, last)) != 0)
		return rc;
	quiet_from = one_in(&h->d, 10) ? h->now - between(&h->d, 100, 200) *
	    DAY : h->now - between(&h->d, 1, 60) * DAY;
	if (quiet_from < created)
		quiet_from = created + DAY;
	if ((rc = put_interactions(h, created, quiet_from, 3, 8,
	    active_topics, N(active_topics), 0)) != 0)
		return rc;
	if (one_in(&h->d, 7)) {
		const char *c = courses[roll(&h->d) % NCOURSES];
		char title[96];

		(void)snprintf(title, sizeof(title), "Второй курс: %s", c);
		if ((rc = put_deal(h, title, c,
		    KARTOTEKA__DEAL_STAGE__STAGE_PROGRESS, 960000,
		    h->now - between(&h->d, 2, 20) * DAY, 0, 0, 0, 0, NULL,
		    NULL)) != 0)
			return rc;
	}
	if (one_in(&h->d, 8) && (rc = put_task(h, between(&h->d, -3, 6),
	    (uint32_t)between(&h->d, 1, 3), task_titles[roll(&h->d) %
	    N(task_titles)], h->now - 10 * DAY, 0)) != 0)
		return rc;
	if (one_in(&h->d, 3) && (rc = put_task(h, -between(&h->d, 10, 60),
	    KARTOTEKA__TASK_KIND__TASK_CALL, task_titles[0],
	    h->now - 70 * DAY, h->now - 9 * DAY)) != 0)
		return rc;
	return 0;
}

static int
lead(hist_t *h, int64_t created)
{
	int rc;

	if ((rc = put_interactions(h, created, h->now, 1, 2, lead_topics,
	    N(lead_topics), 1)) != 0)
		return rc;
	if (one_in(&h->d, 2)) {
		const char *c = courses[roll(&h->d) % NCOURSES];

		if ((rc = put_deal(h, "Пробное занятие", c, one_in(&h->d, 2) ?
		    KARTOTEKA__DEAL_STAGE__STAGE_NEW :
		    KARTOTEKA__DEAL_STAGE__STAGE_PROGRESS, 50000, created + 600,
		    0, 0, 0, 0, NULL, NULL)) != 0)
			return rc;
	} else if (one_in(&h->d, 5)) {
		if ((rc = put_deal(h, "Пробное занятие",
		    courses[roll(&h->d) % NCOURSES],
		    KARTOTEKA__DEAL_STAGE__STAGE_LOST, 50000, created + 600,
		    created + 3 * DAY, 0, 0, 0, lost_reasons[roll(&h->d) %
		    N(lost_reasons)], NULL)) != 0)
			return rc;
	}
	if (one_in(&h->d, 3) && (rc = put_task(h, between(&h->d, -2, 4),
	    KARTOTEKA__TASK_KIND__TASK_CALL,
	    "Перезвонить: записать на пробное занятие", created, 0)) != 0)
		return rc;
	return 0;
}

static int
former(hist_t *h, int64_t created)
{
	int64_t start = local_day(h->now, days_from_now(h->now, created) + 7,
	    0), first = start, last;
	int rc;

	/* A third won their last subscription 11..12 months ago; the rest
	 * had one or two soon after they came. */
	if (one_in(&h->d, 3)) {
		last = local_day(h->now, -between(&h->d, 338, 355), 0);
		first = chain_first(start, last);
	} else {
		last = start + between(&h->d, 0, 1) * SUB_DAYS * DAY;
	}
	if ((rc = put_subscriptions(h, first, last)) != 0)
		return rc;
	return put_interactions(h, created, last + 60 * DAY, 2, 4,
	    former_topics, N(former_topics), 0);
}

int
kt_history_put(kt_store_t *st, MDB_txn *txn, const kt_family_t *f,
    uint64_t client, uint64_t branch, uint64_t manager, int64_t now,
    kt_history_counts_t *n)
{
	hist_t h = { st, txn, f, client, branch, manager, now, n,
		{ f->k * 0xA0761D6478BD642Fu + 5 } };
	int64_t created = kt_history_created_at(f, now);

	switch (f->status) {
	case KARTOTEKA__CLIENT_STATUS__LEAD:
		return lead(&h, created);
	case KARTOTEKA__CLIENT_STATUS__FORMER:
		return former(&h, created);
	default:
		return active(&h, created);
	}
}
