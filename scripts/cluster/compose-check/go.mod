module mas2/compose-check

go 1.24
