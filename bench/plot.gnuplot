# Per-step wall time, ecsmig vs peers (median, ms, log scale), drawn by bench/run:
#   gnuplot -e "datafile='per_step.dat'; outfile='per_step.png'; subtitle='...'" bench/plot.gnuplot
# datafile columns: step ecsmig curl node-sdk aws-cli (ms).
if (!exists("subtitle")) subtitle = ""
set terminal pngcairo size 960,540 font "sans,11" noenhanced
set output outfile
set title "Per-step wall time, process start to exit (median; lower is better)\n" . subtitle
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set yrange [10:*]
set ylabel "milliseconds (log scale)"
set grid ytics mytics
set key outside bottom center horizontal
set xtics nomirror
set format y "%g"
plot datafile using 2:xtic(1) title "ecsmig" lc rgb "#1b9e77", \
     '' using 3 title "curl (floor)" lc rgb "#7570b3", \
     '' using 4 title "Node + AWS SDK v3" lc rgb "#d95f02", \
     '' using 5 title "aws CLI" lc rgb "#e7298a"
