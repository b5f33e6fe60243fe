// compose-check: loads docker-compose.yml with the Compose Specification's own
// loader (github.com/compose-spec/compose-go, the library `docker compose`
// uses), the check `docker compose config` would make, for machines without
// the Compose plugin. Prints the normalized model's services, or the error.
//
//	go run ./scripts/cluster/compose-check docker-compose.yml
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check docker-compose.yml")
		os.Exit(2)
	}
	file, _ := filepath.Abs(os.Args[1])
	opts, err := cli.NewProjectOptions([]string{file}, cli.WithWorkingDirectory(filepath.Dir(file)), cli.WithOsEnv, cli.WithDotEnv, cli.WithName("mas2"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	names := project.ServiceNames()
	sort.Strings(names)
	for _, n := range names {
		s := project.Services[n]
		fmt.Printf("%s: image=%s depends_on=%d configs=%d volumes=%d\n", n, s.Image, len(s.DependsOn), len(s.Configs), len(s.Volumes))
	}
	for n, c := range project.Configs {
		fmt.Printf("config %s: file=%s content=%d bytes\n", n, c.File, len(c.Content))
	}
	fmt.Println("compose-check: ok")
}
