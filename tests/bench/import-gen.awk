# SPDX-License-Identifier: MIT
# The file of tests/bench/import.sh: awk -v rows=N [-v off=K] -f import-gen.awk
# One person a row, families grouped: a mother, then a father who shares
# her phone and has one of his own and a child with a birth date; dates
# typed two ways; every phone and e-mail unique to its family (the
# phones are 7919 * family mod 10^9, a bijection for fewer than 10^9).
BEGIN {
	split("Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев", S, " ")
	split("Анна Мария Елена Ольга Наталья Ирина Татьяна Светлана", F, " ")
	split("Сергей Андрей Алексей Дмитрий Иван Павел Михаил Олег", M, " ")
	split("Петя Маша Саша Даша Миша Соня Ваня Лиза", K, " ")
	print "ФИО;Телефон;E-mail;Дата рождения;Дети;Филиал"
	n = 0; f = off + 0
	while (n < rows) {
		f++
		s = S[1 + f % 20]
		ph = sprintf("+79%09d", (f * 7919) % 1000000000)
		printf "%sа %s;%s;f%d@mail.ru;%02d.%02d.%d;;Центр\n", s, F[1 + f % 8], ph, f, 1 + f % 28, 1 + f % 12, 1960 + f % 40
		if (++n >= rows) break
		printf "%s %s;%s, +79%09d;;%d-%02d-%02d;%s (%02d.%02d.%d);Центр\n", s, M[1 + f % 8], ph, (f * 7919 + 1) % 1000000000, 1960 + f % 40, 1 + f % 12, 1 + f % 28, K[1 + f % 8], 1 + f % 28, 1 + f % 12, 2010 + f % 12
		n++
	}
}
