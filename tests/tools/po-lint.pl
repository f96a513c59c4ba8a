#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# po-lint.pl po/LINT: the print calls of the directories listed in
# po/LINT carry no unmarked message (see po/LINT for the rule); prints
# FILE:LINE for each and exits 1 when there is one. Part of
# tests/tools/po-check.sh (the test i18n.po_complete); run from the top.
use strict; use warnings;
my $bad = 0;
my $lint = shift @ARGV // "po/LINT";
open(my $lf, "<", $lint) or die "$lint: $!";
while (my $line = <$lf>) {
    next if $line =~ /^\s*(#|$)/;
    my ($dir, $funcs) = $line =~ /^\s*(\S+):\s*(.*)$/ or die "po/LINT: bad line: $line";
    my @f = split " ", $funcs;
    my $fre = join "|", map { quotemeta } @f;
    for my $file (sort glob("$dir/*.c")) {
        open(my $fh, "<", $file) or die "$file: $!";
        local $/; my $src = <$fh>; close $fh;
        # blank comments (keeping line breaks), but keep the marker
        $src =~ s{/\*(.*?)\*/}{ my $c = $1; ($c =~ /^\s*untranslated:/) ? "UNTRANSLATED_MARK" . ("\n" x ($c =~ tr/\n//)) : " " . ("\n" x ($c =~ tr/\n//)) }gse;
        while ($src =~ /\b($fre)\s*\(/g) {
            my ($name, $start) = ($1, pos($src));
            my ($depth, $i, $instr) = (1, $start, 0);
            while ($i < length($src) && $depth > 0) {
                my $ch = substr($src, $i, 1);
                if ($instr) {
                    if ($ch eq "\\") { $i++ } elsif ($ch eq "\"") { $instr = 0 }
                } elsif ($ch eq "\"") { $instr = 1 }
                elsif ($ch eq "(") { $depth++ } elsif ($ch eq ")") { $depth-- }
                elsif ($ch eq "\x27") { $i += (substr($src, $i + 1, 1) eq "\\") ? 3 : 2 }
                $i++;
            }
            my $args = substr($src, $start, $i - $start - 1);
            next if $args =~ /UNTRANSLATED_MARK/;
            # take out the marked messages
            1 while $args =~ s/\b(?:N_|P_|_)\s*\((?:\s*"(?:[^"\\]|\\.)*"\s*,?)+[^()]*\)/M/gs;
            while ($args =~ /"((?:[^"\\]|\\.)*)"/g) {
                my $orig = $1; my $lit = $orig;
                # JSON: keys ("\"id\":") and the literals true, false, null
                next if $orig =~ /\\":/ || $orig =~ /^(?:true|false|null)$/;
                $lit =~ s/\\x[0-9a-fA-F]{1,2}|\\[0-7]{1,3}//g;
                $lit =~ s/\\[nrt"\\]//g;
                $lit =~ s/%[-+ #0-9.*]*(?:hh|h|ll|l|j|z|t|L)?[a-zA-Z%]//g;
                if ($lit =~ /[A-Za-z]{2}/) {
                    my $ln = 1 + (substr($src, 0, $start) =~ tr/\n//);
                    print "$file:$ln: $name(): unmarked message \"$orig\"\n";
                    $bad++;
                }
            }
        }
    }
}
exit($bad ? 1 : 0);
