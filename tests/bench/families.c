/* SPDX-License-Identifier: MIT */
/* Deterministic generator of realistic Russian families for demos and load
 * tests (see families.h): static name tables, a splitmix64 stream per
 * family, phones from a bijection so that they never repeat. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "families.h"

#define N_(a) (sizeof(a) / sizeof((a)[0]))

/* ---- tables ------------------------------------------------------------- */

static const kt_surname_t surnames[] = {
	{ "Иванов", "Иванова", "Ивановы" },
	{ "Смирнов", "Смирнова", "Смирновы" },
	{ "Кузнецов", "Кузнецова", "Кузнецовы" },
	{ "Попов", "Попова", "Поповы" },
	{ "Васильев", "Васильева", "Васильевы" },
	{ "Петров", "Петрова", "Петровы" },
	{ "Соколов", "Соколова", "Соколовы" },
	{ "Михайлов", "Михайлова", "Михайловы" },
	{ "Новиков", "Новикова", "Новиковы" },
	{ "Фёдоров", "Фёдорова", "Фёдоровы" },
	{ "Морозов", "Морозова", "Морозовы" },
	{ "Волков", "Волкова", "Волковы" },
	{ "Алексеев", "Алексеева", "Алексеевы" },
	{ "Лебедев", "Лебедева", "Лебедевы" },
	{ "Семёнов", "Семёнова", "Семёновы" },
	{ "Егоров", "Егорова", "Егоровы" },
	{ "Павлов", "Павлова", "Павловы" },
	{ "Козлов", "Козлова", "Козловы" },
	{ "Степанов", "Степанова", "Степановы" },
	{ "Николаев", "Николаева", "Николаевы" },
	{ "Орлов", "Орлова", "Орловы" },
	{ "Андреев", "Андреева", "Андреевы" },
	{ "Макаров", "Макарова", "Макаровы" },
	{ "Никитин", "Никитина", "Никитины" },
	{ "Захаров", "Захарова", "Захаровы" },
	{ "Зайцев", "Зайцева", "Зайцевы" },
	{ "Соловьёв", "Соловьёва", "Соловьёвы" },
	{ "Борисов", "Борисова", "Борисовы" },
	{ "Яковлев", "Яковлева", "Яковлевы" },
	{ "Григорьев", "Григорьева", "Григорьевы" },
	{ "Романов", "Романова", "Романовы" },
	{ "Воробьёв", "Воробьёва", "Воробьёвы" },
	{ "Сергеев", "Сергеева", "Сергеевы" },
	{ "Кузьмин", "Кузьмина", "Кузьмины" },
	{ "Фролов", "Фролова", "Фроловы" },
	{ "Александров", "Александрова", "Александровы" },
	{ "Дмитриев", "Дмитриева", "Дмитриевы" },
	{ "Королёв", "Королёва", "Королёвы" },
	{ "Гусев", "Гусева", "Гусевы" },
	{ "Киселёв", "Киселёва", "Киселёвы" },
	{ "Ильин", "Ильина", "Ильины" },
	{ "Максимов", "Максимова", "Максимовы" },
	{ "Поляков", "Полякова", "Поляковы" },
	{ "Сорокин", "Сорокина", "Сорокины" },
	{ "Виноградов", "Виноградова", "Виноградовы" },
	{ "Ковалёв", "Ковалёва", "Ковалёвы" },
	{ "Белов", "Белова", "Беловы" },
	{ "Медведев", "Медведева", "Медведевы" },
	{ "Антонов", "Антонова", "Антоновы" },
	{ "Тарасов", "Тарасова", "Тарасовы" },
	{ "Жуков", "Жукова", "Жуковы" },
	{ "Баранов", "Баранова", "Барановы" },
	{ "Филиппов", "Филиппова", "Филипповы" },
	{ "Комаров", "Комарова", "Комаровы" },
	{ "Давыдов", "Давыдова", "Давыдовы" },
	{ "Беляев", "Беляева", "Беляевы" },
	{ "Герасимов", "Герасимова", "Герасимовы" },
	{ "Богданов", "Богданова", "Богдановы" },
	{ "Осипов", "Осипова", "Осиповы" },
	{ "Сидоров", "Сидорова", "Сидоровы" },
	{ "Матвеев", "Матвеева", "Матвеевы" },
	{ "Титов", "Титова", "Титовы" },
	{ "Марков", "Маркова", "Марковы" },
	{ "Миронов", "Миронова", "Мироновы" },
	{ "Крылов", "Крылова", "Крыловы" },
	{ "Куликов", "Куликова", "Куликовы" },
	{ "Карпов", "Карпова", "Карповы" },
	{ "Власов", "Власова", "Власовы" },
	{ "Мельников", "Мельникова", "Мельниковы" },
	{ "Денисов", "Денисова", "Денисовы" },
	{ "Тихонов", "Тихонова", "Тихоновы" },
	{ "Калинин", "Калинина", "Калинины" },
	{ "Чернышёв", "Чернышёва", "Чернышёвы" },
	{ "Пономарёв", "Пономарёва", "Пономарёвы" },
	{ "Журавлёв", "Журавлёва", "Журавлёвы" },
	{ "Галкин", "Галкина", "Галкины" },
	{ "Ёлкин", "Ёлкина", "Ёлкины" },
	{ "Ершов", "Ершова", "Ершовы" },
	{ "Цветков", "Цветкова", "Цветковы" },
	{ "Щербаков", "Щербакова", "Щербаковы" },
	{ "Вишневский", "Вишневская", "Вишневские" },
	{ "Островский", "Островская", "Островские" },
	{ "Покровский", "Покровская", "Покровские" },
	{ "Высоцкий", "Высоцкая", "Высоцкие" },
	{ "Толстой", "Толстая", "Толстые" },
	{ "Ким", "Ким", NULL },
	{ "Цой", "Цой", NULL },
	{ "Шевченко", "Шевченко", NULL },
	{ "Коваленко", "Коваленко", NULL },
	{ "Бондаренко", "Бондаренко", NULL },
	{ "Черных", "Черных", NULL },
	{ "Седых", "Седых", NULL },
};

static const char *const mothers[] = {
	"Анна", "Мария", "Елена", "Ольга", "Наталья", "Екатерина", "Татьяна",
	"Ирина", "Светлана", "Юлия", "Анастасия", "Ксения", "Дарья",
	"Евгения", "Марина", "Алёна", "Виктория", "Надежда", "Людмила",
	"Оксана", "Валерия", "Полина", "Кристина", "Вера", "Галина",
};

static const char *const fathers[] = {
	"Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Максим",
	"Иван", "Михаил", "Евгений", "Николай", "Артём", "Владимир", "Павел",
	"Роман", "Денис", "Игорь", "Олег", "Антон", "Константин", "Илья",
	"Кирилл", "Виталий", "Юрий", "Фёдор",
};

static const char *const girls[] = {
	"София", "Анна", "Мария", "Алиса", "Ева", "Виктория", "Полина",
	"Варвара", "Василиса", "Александра", "Вероника", "Дарья", "Елизавета",
	"Ксения", "Милана", "Таисия", "Ульяна", "Арина", "Злата", "Мирослава",
	"Кира", "Есения", "Алёна", "Стефания", "Валерия",
};

static const char *const boys[] = {
	"Александр", "Михаил", "Максим", "Артём", "Марк", "Лев", "Иван",
	"Матвей", "Дмитрий", "Тимофей", "Даниил", "Кирилл", "Егор", "Фёдор",
	"Никита", "Илья", "Арсений", "Роман", "Андрей", "Мирон", "Платон",
	"Святослав", "Ярослав", "Глеб", "Семён",
};

static const char *const interests[] = {
	"рисование", "английский", "шахматы", "танцы", "плавание", "музыка",
	"робототехника", "лепка", "чтение", "футбол", "гимнастика", "вокал",
};

static const char *const particulars[] = {
	"аллергия на орехи", "левша", "стесняется, нужен мягкий подход",
	"плохо переносит шум", "носит очки", "занимается с логопедом",
};

static const char *const family_notes[] = {
	"Удобно после 18:00.",
	"Звонить маме, не папе.",
	"Просили напоминать о занятии за день.",
	"Интересуются летним лагерем.",
	"По вторникам приводит бабушка.",
	"Оплата по безналу, нужны закрывающие документы.",
	"Пришли по акции «приведи друга».",
	"Хотят в группу выходного дня.",
};

static const char *const sources[] = {
	"Instagram", "ВКонтакте", "сарафанное радио", "вывеска", "2ГИС",
	"рекомендация", "сайт",
};
static const unsigned source_weights[] = { 15, 20, 25, 10, 10, 12, 8 };

static const char *const tag_names[] = {
	"английский", "рисование", "шахматы", "логопед", "подготовка к школе",
	"робототехника", "скидка", "vip",
};

static const char *const leaving_reasons[] = {
	"переехали", "дорого", "ребёнок вырос", "неудобное расписание",
	"ушли к конкурентам", "не понравился преподаватель",
};

static const char *const mail_domains[] = {
	"mail.ru", "yandex.ru", "gmail.com",
};
static const unsigned mail_weights[] = { 45, 30, 25 };

/* ---- random stream ------------------------------------------------------ */

typedef struct rng {
	uint64_t s;                   /* splitmix64 state */
} rng_t;

/* The splitmix64 finaliser: a bijection that scatters nearby inputs. */
static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t
rng_next(rng_t *r)
{
	return mix64(r->s += UINT64_C(0x9E3779B97F4A7C15));
}

/* Uniform in 0..n-1 (n >= 1); the modulo bias is below 2^-50 here. */
static unsigned
rng_below(rng_t *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

/* 1 with probability pct %. */
static int
rng_pct(rng_t *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

/* Index into a table of n weights, chosen in proportion to them. */
static size_t
rng_weighted(rng_t *r, const unsigned *w, size_t n)
{
	unsigned total = 0, x;
	size_t i;

	for (i = 0; i < n; i++)
		total += w[i];
	x = rng_below(r, total);
	for (i = 0; i + 1 < n && x >= w[i]; i++)
		x -= w[i];
	return i;
}

#define PICK(r, a) ((a)[rng_below((r), (unsigned)N_(a))])

/* ---- pieces ------------------------------------------------------------- */

static unsigned
days_in_month(unsigned y, unsigned m)
{
	static const unsigned d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return d[m - 1];
}

static void
birth_date(rng_t *r, unsigned year, kt_family_person_t *p)
{
	p->birth_year = year;
	p->birth_month = 1 + rng_below(r, 12);
	p->birth_day = 1 + rng_below(r, days_in_month(year, p->birth_month));
}

void
kt_family_phone(uint64_t k, int father, char out[static KT_FAMILY_PHONE_LEN])
{
	/* x -> 3^18 x + 12345 is a bijection modulo 10^9 because 3^18 is
	 * coprime with 10^9 (odd, not a multiple of 5); 2k and 2k + 1 never
	 * meet, so no two parents share a number while 2k + 1 < 10^9. A large
	 * multiplier makes neighbours' numbers look unrelated; x and it are
	 * below 10^9, so the product fits 64 bits. */
	uint64_t x = (2u * k + (father ? 1u : 0u)) % UINT64_C(1000000000);
	uint64_t v = (x * UINT64_C(387420489) + 12345u) %
	    UINT64_C(1000000000);

	(void)snprintf(out, KT_FAMILY_PHONE_LEN, "+79%09" PRIu64, v);
}

/* Latin transliteration of one code point (lower-cased), "" for ъ/ь,
 * NULL when it is not Cyrillic. */
static const char *
translit_cp(unsigned cp)
{
	static const char *const lat[32] = {
		"a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l",
		"m", "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch",
		"sh", "shch", "", "y", "", "e", "yu", "ya",
	};

	if (cp == 0x401 || cp == 0x451)
		return "e";
	if (cp >= 0x410 && cp <= 0x42F)
		return lat[cp - 0x410];
	if (cp >= 0x430 && cp <= 0x44F)
		return lat[cp - 0x430];
	return NULL;
}

/* Appends the transliteration of UTF-8 s to out (cap bytes, kept
 * NUL-terminated); ASCII letters are lower-cased, anything else dropped. */
static void
translit(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(out);
	const char *t;
	char one[2];
	unsigned cp;

	while (*p != 0) {
		if (*p < 0x80) {
			cp = *p++;
			one[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
			one[1] = 0;
			t = (cp >= 'A' && cp <= 'Z') ||
			    (cp >= 'a' && cp <= 'z') ? one : "";
		} else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
			cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
			p += 2;
			t = translit_cp(cp);
			if (t == NULL)
				t = "";
		} else {
			p++;
			continue;
		}
		for (; *t != 0 && len + 1 < cap; t++)
			out[len++] = *t;
		out[len] = 0;
	}
}

/* An address like "anna.ivanova123@mail.ru". The login ends in the digits
 * of k after a letter, so the address is unique for each k. */
static void
make_email(rng_t *r, uint64_t k, const char *first, const char *surname,
    char *out, size_t cap)
{
	char f[32] = "", s[48] = "", login[64];
	const char *dom = mail_domains[rng_weighted(r, mail_weights,
	    N_(mail_weights))];

	translit(first, f, sizeof(f));
	translit(surname, s, sizeof(s));
	switch (rng_below(r, 4)) {
	case 0:
		(void)snprintf(login, sizeof(login), "%.20s.%.20s%" PRIu64,
		    f, s, k);
		break;
	case 1:
		(void)snprintf(login, sizeof(login), "%.40s.%c%" PRIu64, s, f[0],
		    k);
		break;
	case 2:
		(void)snprintf(login, sizeof(login), "%.20s_%.20s%" PRIu64,
		    f, s, k);
		break;
	default:
		(void)snprintf(login, sizeof(login), "%.40s%" PRIu64, s, k);
		break;
	}
	(void)snprintf(out, cap, "%s@%s", login, dom);
}

/* A child's note: one or two interests, sometimes a particularity. */
static void
child_note(rng_t *r, char *out, size_t cap)
{
	unsigned a = rng_below(r, (unsigned)N_(interests));
	unsigned b = rng_below(r, (unsigned)N_(interests));

	if (rng_pct(r, 50) || a == b)
		(void)snprintf(out, cap, "%s", interests[a]);
	else
		(void)snprintf(out, cap, "%s, %s", interests[a], interests[b]);
	if (rng_pct(r, 20)) {
		size_t len = strlen(out);
		int n = snprintf(out + len, cap - len, "; %s",
		    PICK(r, particulars));

		/* Never cut: a cut could split a character. */
		assert(n > 0 && (size_t)n < cap - len);
		(void)n;
	}
}

static void
set_name(kt_family_person_t *p, const char *first, const char *surname)
{
	int n = snprintf(p->name, sizeof(p->name), "%s %s", first, surname);

	assert(n > 0 && (size_t)n < sizeof(p->name));
	(void)n;
}

/* Children: 1 (50 %), 2 (38 %) or 3 (12 %), born 2008..2023 when the mother
 * was 19..42, older first, siblings of one gender named differently. */
static void
make_children(rng_t *r, kt_family_t *f, unsigned mother_year)
{
	static const unsigned count_w[] = { 50, 38, 12 };
	const char *used[KT_FAMILY_CHILDREN_MAX];
	unsigned lo = mother_year + 19 > 2008 ? mother_year + 19 : 2008;
	unsigned hi = mother_year + 42 < 2023 ? mother_year + 42 : 2023;
	unsigned years[KT_FAMILY_CHILDREN_MAX], y;
	size_t n = 1 + rng_weighted(r, count_w, N_(count_w));
	size_t i, j;

	for (i = 0; i < n; i++)
		years[i] = lo + rng_below(r, hi - lo + 1);
	for (i = 1; i < n; i++) /* insertion sort: older first */
		for (j = i; j > 0 && years[j - 1] > years[j]; j--) {
			y = years[j];
			years[j] = years[j - 1];
			years[j - 1] = y;
		}
	for (i = 0; i < n; i++) {
		kt_family_person_t *p = &f->people[f->npeople++];
		int female = rng_pct(r, 50);
		const char *first;

		do {
			first = female ? PICK(r, girls) : PICK(r, boys);
			for (j = 0; j < i && used[j] != first; j++)
				;
		} while (j < i);
		used[i] = first;
		set_name(p, first, female ? f->surname->female :
		    f->surname->male);
		p->relation = KARTOTEKA__RELATION__CHILD;
		p->female = female;
		birth_date(r, years[i], p);
		if (rng_pct(r, 40))
			child_note(r, p->note, sizeof(p->note));
	}
	f->nchildren = n;
}

/* 0..3 distinct tags; "скидка" brings a discount and "vip" category A. */
static void
make_tags(rng_t *r, kt_family_t *f)
{
	static const unsigned count_w[] = { 35, 35, 20, 10 };
	size_t n = rng_weighted(r, count_w, N_(count_w));
	size_t i, j;

	f->ntags = 0;
	while (f->ntags < n) {
		const char *t = PICK(r, tag_names);

		for (j = 0; j < f->ntags && f->tags[j] != t; j++)
			;
		if (j == f->ntags)
			f->tags[f->ntags++] = t;
	}
	for (i = 0; i < f->ntags; i++) {
		if (strcmp(f->tags[i], "скидка") == 0)
			f->discount_percent = 5u * (1u + rng_below(r, 3));
		else if (strcmp(f->tags[i], "vip") == 0)
			f->category = KARTOTEKA__CATEGORY__CATEGORY_A;
	}
}

/* ---- families ----------------------------------------------------------- */

void
kt_family_make(uint64_t k, unsigned branch_hint, kt_family_t *out)
{
	static const unsigned status_w[] = { 60, 25, 15 };
	static const Kartoteka__ClientStatus statuses[] = {
		KARTOTEKA__CLIENT_STATUS__ACTIVE,
		KARTOTEKA__CLIENT_STATUS__LEAD,
		KARTOTEKA__CLIENT_STATUS__FORMER,
	};
	static const unsigned cat_w[] = { 20, 50, 30 };
	static const Kartoteka__Category cats[] = {
		KARTOTEKA__CATEGORY__CATEGORY_A,
		KARTOTEKA__CATEGORY__CATEGORY_B,
		KARTOTEKA__CATEGORY__CATEGORY_C,
	};
	rng_t r;
	kt_family_person_t *mother, *father;
	unsigned my;

	memset(out, 0, sizeof(*out));
	/* The seed is hashed: seeding with k itself would make family k+1's
	 * stream family k's shifted by one draw, and neighbours would share
	 * children. */
	r.s = mix64(k ^ mix64((uint64_t)branch_hint +
	    UINT64_C(0xD1B54A32D192ED03)));
	out->k = k;
	out->surname = &surnames[rng_below(&r, (unsigned)N_(surnames))];
	if (out->surname->plural != NULL)
		(void)snprintf(out->title, sizeof(out->title), "%s",
		    out->surname->plural);
	else
		(void)snprintf(out->title, sizeof(out->title), "%s (семья)",
		    out->surname->male);

	mother = &out->people[out->npeople++];
	my = 1978 + rng_below(&r, 17);
	set_name(mother, PICK(&r, mothers), out->surname->female);
	mother->relation = KARTOTEKA__RELATION__PARENT;
	mother->female = 1;
	birth_date(&r, my, mother);
	kt_family_phone(k, 0, mother->phone);
	if (rng_pct(&r, 40)) {
		char first[32];
		const char *sp = strchr(mother->name, ' ');

		assert(sp != NULL &&
		    (size_t)(sp - mother->name) < sizeof(first));
		memcpy(first, mother->name, (size_t)(sp - mother->name));
		first[sp - mother->name] = 0;
		make_email(&r, k, first, out->surname->female, mother->email,
		    sizeof(mother->email));
	}

	if (rng_pct(&r, 45)) {
		unsigned fy = my - 4 + rng_below(&r, 7); /* 1974..1996 */

		father = &out->people[out->npeople++];
		set_name(father, PICK(&r, fathers), out->surname->male);
		father->relation = KARTOTEKA__RELATION__PARENT;
		birth_date(&r, fy, father);
		kt_family_phone(k, 1, father->phone);
	}
	make_children(&r, out, my);

	out->status = statuses[rng_weighted(&r, status_w, N_(status_w))];
	out->category = cats[rng_weighted(&r, cat_w, N_(cat_w))];
	out->source = sources[rng_weighted(&r, source_weights,
	    N_(source_weights))];
	make_tags(&r, out);
	if (rng_pct(&r, 30))
		(void)snprintf(out->notes, sizeof(out->notes), "%s",
		    PICK(&r, family_notes));
	out->leaving_reason = "";
	if (out->status != KARTOTEKA__CLIENT_STATUS__LEAD) {
		unsigned y = 2019 + rng_below(&r, 7), m = 1 + rng_below(&r, 12);
		unsigned d = 1 + rng_below(&r, days_in_month(y, m));

		/* The remainders only tell the compiler the widths. */
		(void)snprintf(out->consent_date, sizeof(out->consent_date),
		    "%04u-%02u-%02u", y % 10000u, m % 100u, d % 100u);
		(void)snprintf(out->contract, sizeof(out->contract),
		    "Д-%06" PRIu64, k);
	}
	if (out->status == KARTOTEKA__CLIENT_STATUS__FORMER)
		out->leaving_reason = PICK(&r, leaving_reasons);
	out->do_not_contact = rng_pct(&r, 5);
}

void
kt_family_to_client(const kt_family_t *f, Kartoteka__Client *out,
    kt_family_pb_t *pb)
{
	static const Kartoteka__Client init = KARTOTEKA__CLIENT__INIT;
	static const Kartoteka__Person pinit = KARTOTEKA__PERSON__INIT;
	size_t i;

	*out = init;
	for (i = 0; i < f->npeople; i++) {
		const kt_family_person_t *fp = &f->people[i];
		Kartoteka__Person *p = &pb->people[i];

		*p = pinit;
		p->name = (char *)fp->name;
		p->relation = fp->relation;
		p->birth_year = fp->birth_year;
		p->birth_month = fp->birth_month;
		p->birth_day = fp->birth_day;
		if (fp->phone[0] != 0) {
			pb->phones[i][0] = (char *)fp->phone;
			p->phones = pb->phones[i];
			p->n_phones = 1;
		}
		p->email = (char *)fp->email;
		p->note = (char *)fp->note;
		pb->people_ptrs[i] = p;
	}
	out->people = pb->people_ptrs;
	out->n_people = f->npeople;
	for (i = 0; i < f->ntags; i++)
		pb->tags[i] = (char *)f->tags[i];
	out->tags = pb->tags;
	out->n_tags = f->ntags;
	out->status = f->status;
	out->category = f->category;
	out->title = (char *)f->title;
	out->source = (char *)f->source;
	out->notes = (char *)f->notes;
	out->do_not_contact = f->do_not_contact != 0;
	out->consent_date = (char *)f->consent_date;
	out->contract = (char *)f->contract;
	out->discount_percent = f->discount_percent;
	out->leaving_reason = (char *)f->leaving_reason;
}

const kt_surname_t *
kt_family_surnames(size_t *n)
{
	*n = N_(surnames);
	return surnames;
}
