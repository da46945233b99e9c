package main

import (
	"context"
	"errors"
)

func runExport(ctx context.Context, app *app, args []string) error {
	fs := app.flags("export", "")
	if _, err := app.parse(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
